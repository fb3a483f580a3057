// A training run folder (run.json + best.safetensors) holding a freshly initialised registry model,
// laid out as training writes it, so that `makeBundle` can assemble a bundle of real architectures
// with random weights: what benchmarks time and service tests run, where quality does not matter.
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import * as torch from '../../src/torch/index.js';
import { createModel } from '../../src/models/index.js';
import { assembledRunManifest, writeRunManifest } from '../../src/train/run-manifest.js';
import { modelInput } from '../../src/data/model-input.js';

export function writeRegistryRun(
  dir: string,
  architecture: string,
  inputSize: number,
  normalization: { mean: number; std: number },
): void {
  mkdirSync(dir, { recursive: true });
  const model = createModel(architecture);
  torch.saveSafetensors(path.join(dir, 'best.safetensors'), model.stateDict());
  writeRunManifest(
    dir,
    assembledRunManifest({
      task: architecture.startsWith('unet') ? 'segmenter' : 'classifier',
      model: { name: architecture, config: { ...model.config } },
      input: modelInput({ width: inputSize, height: inputSize }, normalization),
    }),
  );
  model.dispose();
}
