// Stand-in architectures for `pneumo bench predict` while the model registry (src/models, branch
// models) is not on main: a VGG-style classifier and a U-Net with the same encoder, built identically
// here and in bench/predict_reference.py, so both sides run the same network. Random weights: the
// benchmark measures time, not quality. When the registry lands, the benchmark uses the demo's
// architectures from it instead.
import * as torch from '../src/torch/index.js';
import { nn } from '../src/torch/index.js';
import { UnknownArchitectureError, type ModelFactory } from '../src/pipeline/model-contract.js';

export const BENCH_CHANNELS = [16, 32, 64, 128];

function block(inChannels: number, outChannels: number): nn.Sequential {
  return new nn.Sequential(
    new nn.Conv2d(inChannels, outChannels, 3, { padding: 1, bias: false }),
    new nn.BatchNorm2d(outChannels),
    new nn.ReLU(),
    new nn.Conv2d(outChannels, outChannels, 3, { padding: 1, bias: false }),
    new nn.BatchNorm2d(outChannels),
    new nn.ReLU(),
  );
}

class Encoder extends nn.Module {
  readonly stages: nn.ModuleList<nn.Sequential>;
  constructor(channels: readonly number[]) {
    super();
    this.stages = this.registerModule(
      'stages',
      new nn.ModuleList(channels.map((c, i) => block(i === 0 ? 1 : channels[i - 1], c))),
    );
  }
  /** Features of every stage, full resolution first; each later stage starts with a 2x max pool. */
  features(x: torch.Tensor): torch.Tensor[] {
    const out: torch.Tensor[] = [];
    let h = x;
    this.stages.items.forEach((stage, i) => {
      h = stage.forward(i === 0 ? h : torch.maxPool2d(h, 2));
      out.push(h);
    });
    return out;
  }
}

class BenchClassifier extends nn.Module {
  readonly encoder = this.registerModule('encoder', new Encoder(BENCH_CHANNELS));
  readonly fc = this.registerModule('fc', new nn.Linear(BENCH_CHANNELS.at(-1)!, 1));
  forward(x: torch.Tensor): torch.Tensor {
    const deepest = this.encoder.features(x).at(-1)!;
    return this.fc.forward(torch.adaptiveAvgPool2d(deepest, 1).flatten(1)).reshape([-1]);
  }
}

class BenchUnet extends nn.Module {
  readonly encoder = this.registerModule('encoder', new Encoder(BENCH_CHANNELS));
  readonly decoder: nn.ModuleList<nn.Sequential>;
  readonly head: nn.Conv2d;
  constructor() {
    super();
    const c = BENCH_CHANNELS;
    // Decoder stage k: upsample the deeper features, concatenate the skip, two convs down to the skip's width.
    this.decoder = this.registerModule(
      'decoder',
      new nn.ModuleList(
        c
          .slice(0, -1)
          .reverse()
          .map((skip, k) => block(c[c.length - 1 - k] + skip, skip)),
      ),
    );
    this.head = this.registerModule('head', new nn.Conv2d(c[0], 1, 1));
  }
  forward(x: torch.Tensor): { mask: torch.Tensor } {
    const features = this.encoder.features(x);
    let h = features.at(-1)!;
    this.decoder.items.forEach((stage, k) => {
      const skip = features[features.length - 2 - k];
      h = stage.forward(torch.cat([torch.interpolate(h, { scaleFactor: 2, mode: 'nearest' }), skip], 1));
    });
    return { mask: this.head.forward(h) };
  }
}

export const benchModelFactory: ModelFactory = (architecture) => {
  if (architecture === 'bench-classifier') return new BenchClassifier();
  if (architecture === 'bench-unet') return new BenchUnet();
  throw new UnknownArchitectureError(architecture, ['bench-classifier', 'bench-unet']);
};
