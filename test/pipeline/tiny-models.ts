// Small stand-ins for the registry's models (src/models), with the same outputs: a classifier giving
// [N] logits and a U-Net-shaped segmenter giving {mask: [N,1,H,W]}. With `analytic` weights their
// outputs are known in closed form, so predictions can be checked against values computed by hand:
//   tiny-classifier: logit = gain * mean(relu(x)) + bias;   tiny-unet: mask logit = 10 * relu(x) - 5.
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { createModel } from '../../src/models/registry.js';
import { assembledRunManifest, readRunManifest, writeRunManifest } from '../../src/train/run-manifest.js';
import { modelInput } from '../../src/data/model-input.js';
import * as torch from '../../src/torch/index.js';
import { nn } from '../../src/torch/index.js';
import {
  UnknownArchitectureError,
  type ModelConfig,
  type ModelFactory,
  type PipelineModel,
} from '../../src/pipeline/model-contract.js';

class TinyClassifier extends nn.Module {
  readonly conv: nn.Conv2d;
  readonly fc: nn.Linear;
  constructor(channels: number) {
    super();
    this.conv = this.registerModule('conv', new nn.Conv2d(1, channels, 3, { padding: 1 }));
    this.fc = this.registerModule('fc', new nn.Linear(channels, 1));
  }
  forward(x: torch.Tensor): torch.Tensor {
    return this.fc.forward(torch.adaptiveAvgPool2d(torch.relu(this.conv.forward(x)), 1).flatten(1)).reshape([-1]);
  }
}

class TinyUnet extends nn.Module {
  readonly encoder: nn.Conv2d;
  readonly head: nn.Conv2d;
  constructor(channels: number) {
    super();
    this.encoder = this.registerModule('encoder', new nn.Conv2d(1, channels, 3, { padding: 1 }));
    this.head = this.registerModule('head', new nn.Conv2d(channels, 1, 1));
  }
  forward(x: torch.Tensor): { mask: torch.Tensor } {
    return { mask: this.head.forward(torch.relu(this.encoder.forward(x))) };
  }
}

export const TINY_ARCHITECTURES = ['tiny-classifier', 'tiny-unet'];

export const tinyModelFactory: ModelFactory = (architecture: string, config: ModelConfig): PipelineModel => {
  const channels = typeof config.channels === 'number' ? config.channels : 2;
  if (architecture === 'tiny-classifier') return new TinyClassifier(channels);
  if (architecture === 'tiny-unet') return new TinyUnet(channels);
  throw new UnknownArchitectureError(architecture, TINY_ARCHITECTURES);
};

/**
 * Sets every parameter in place: one tap 1 on channel 0 (the centre, index 4, by default), everything
 * else 0, then the given tweaks. Tap 3 (the left neighbour) makes the model see x - 1: not mirror-symmetric.
 */
function setAnalytic(model: nn.Module, values: Record<string, number[]>, tap = 4): void {
  torch.noGrad(() => {
    for (const [name, p] of model.namedParameters()) {
      const data = new Float32Array(p.numel);
      if (values[name]) data.set(values[name]);
      else if (name.endsWith('weight') && p.shape.length === 4 && p.shape[2] === 3) data[tap] = 1; // 3x3 tap of output 0, input 0
      torch.scope(() => p.copy_(torch.tensor(data, p.shape)));
    }
  });
}

export interface TinyRunOptions {
  role: 'classifier' | 'segmenter';
  /** A side, or [height, width]. */
  inputSize: number | [number, number];
  channels?: number;
  /** Weights with the closed-form outputs of the header comment (x read at the 3x3 `tap`); random otherwise. */
  analytic?: { gain?: number; bias?: number; tap?: number };
  threshold?: number;
  seed?: number;
}

/** Writes a training run folder (run.json + best.safetensors) as the training side lays it out. */
export async function writeTinyRun(dir: string, o: TinyRunOptions): Promise<void> {
  mkdirSync(dir, { recursive: true });
  const architecture = o.role === 'classifier' ? 'tiny-classifier' : 'tiny-unet';
  const config = { channels: o.channels ?? (o.analytic ? 1 : 2) };
  torch.manualSeed(o.seed ?? 1);
  const model = tinyModelFactory(architecture, config);
  if (o.analytic) {
    if (o.role === 'classifier')
      setAnalytic(model, { 'fc.weight': [o.analytic.gain ?? 1], 'fc.bias': [o.analytic.bias ?? 0] }, o.analytic.tap);
    else setAnalytic(model, { 'head.weight': [10], 'head.bias': [-5] }, o.analytic.tap);
  }
  torch.saveSafetensors(path.join(dir, 'best.safetensors'), model.stateDict());
  model.dispose();
  const [height, width] = typeof o.inputSize === 'number' ? [o.inputSize, o.inputSize] : o.inputSize;
  writeRunManifest(
    dir,
    assembledRunManifest({
      task: o.role,
      model: { name: architecture, config },
      input: modelInput({ width, height }, { mean: 0, std: 1 }),
      threshold: o.threshold ?? null,
      data: '/data/synthetic',
    }),
  );
}

/**
 * Writes a run of a registry model with its initial (random) weights, as `pneumo train` lays it out:
 * a bundle of two such runs loads in the CLI, which knows only registry architectures.
 */
export async function writeRegistryRun(
  dir: string,
  o: { architecture: string; inputSize: number; seed?: number },
): Promise<void> {
  mkdirSync(dir, { recursive: true });
  torch.manualSeed(o.seed ?? 1);
  const model = createModel(o.architecture);
  torch.saveSafetensors(path.join(dir, 'best.safetensors'), model.stateDict());
  const config = model.config;
  model.dispose();
  writeRunManifest(
    dir,
    assembledRunManifest({
      task: o.architecture.startsWith('unet') ? 'segmenter' : 'classifier',
      model: { name: o.architecture, config: { ...config } },
      input: modelInput({ width: o.inputSize, height: o.inputSize }, { mean: 0.5, std: 0.25 }),
      data: '/data/synthetic',
    }),
  );
}

/** Adds the image lists training writes into run.json (dataset.trainIds, dataset.validationIds). */
export function recordRunImages(dir: string, trainIds: readonly string[], validationIds: readonly string[]): void {
  const run = readRunManifest(dir);
  run.provenance = {
    ...run.provenance,
    dataset: { trainImages: trainIds.length, trainIds, validationImages: validationIds.length, validationIds },
  };
  writeRunManifest(dir, run);
}
