// A bundle of the registry's smallest models (the demo's ResNet-18 at a quarter width) with seeded
// random weights, for tests that run the real `pneumo predict` in a child process, which only knows
// registry architectures. Its predictions are arbitrary but fixed; tests compare outputs with each
// other (SEG against predictions.jsonl), never with expected values. A classifier threshold of 0
// sends every image to the segmenter.
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import * as torch from '../../src/torch/index.js';
import { createModel } from '../../src/models/registry.js';
import { DEMO_MODELS } from '../../src/pipeline/demo-models.js';
import { makeBundle } from '../../src/pipeline/bundle.js';
import { assembledRunManifest, writeRunManifest } from '../../src/train/run-manifest.js';
import { modelInput } from '../../src/data/model-input.js';

function writeRun(dir: string, name: string, seed: number): void {
  mkdirSync(dir, { recursive: true });
  torch.manualSeed(seed);
  const model = createModel(name);
  torch.saveSafetensors(path.join(dir, 'best.safetensors'), model.stateDict());
  model.dispose();
  writeRunManifest(
    dir,
    assembledRunManifest({
      task: name === DEMO_MODELS.segmenter ? 'segmenter' : 'classifier',
      model: { name, config: {} },
      input: modelInput({ width: 64, height: 64 }, { mean: 0.5, std: 0.25 }),
    }),
  );
}

export async function registryBundle(dir: string, pixelThreshold = 0.5): Promise<string> {
  writeRun(path.join(dir, 'run-c'), DEMO_MODELS.classifier, 1);
  writeRun(path.join(dir, 'run-s'), DEMO_MODELS.segmenter, 2);
  const out = path.join(dir, 'bundle');
  await makeBundle({
    classifierRun: path.join(dir, 'run-c'),
    segmenterRun: path.join(dir, 'run-s'),
    out,
    thresholds: { classifier: 0, pixel: pixelThreshold, minArea: 0 },
  });
  return out;
}
