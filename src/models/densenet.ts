// DenseNet-121 with torchvision's module tree: everything under `features` (conv0, norm0, relu0,
// pool0, denseblockN/denselayerM with norm1, relu1, conv1, norm2, relu2, conv2, transitionN with norm,
// relu, conv, pool, norm5), then `classifier`. Feature maps follow segmentation_models.pytorch: the
// stride-4/8/16 skips are the transitions' activations before their conv and pooling.
import * as torch from '../torch/index.js';
import { nn, type Tensor } from '../torch/index.js';
import { Encoder, type EncoderOptions, type EncoderTable } from './encoder.js';
import { chain } from './chain.js';
import { countChain, countMacs, type Counted, type FeatureShape } from './flops.js';
import { initFamily } from './init.js';

class DenseLayer extends nn.Module {
  readonly norm1: nn.BatchNorm2d;
  readonly conv1: nn.Conv2d;
  readonly norm2: nn.BatchNorm2d;
  readonly conv2: nn.Conv2d;

  constructor(inputFeatures: number, growthRate: number, bottleneckSize: number) {
    super();
    this.norm1 = this.registerModule('norm1', new nn.BatchNorm2d(inputFeatures));
    this.registerModule('relu1', new nn.ReLU());
    this.conv1 = this.registerModule(
      'conv1',
      new nn.Conv2d(inputFeatures, bottleneckSize * growthRate, 1, { bias: false }),
    );
    this.norm2 = this.registerModule('norm2', new nn.BatchNorm2d(bottleneckSize * growthRate));
    this.registerModule('relu2', new nn.ReLU());
    this.conv2 = this.registerModule(
      'conv2',
      new nn.Conv2d(bottleneckSize * growthRate, growthRate, 3, { padding: 1, bias: false }),
    );
  }

  /** The new `growthRate` channels computed from all earlier maps of the block. */
  forward(previous: readonly Tensor[]): Tensor {
    const input = previous.length === 1 ? previous[0] : torch.cat(previous, 1);
    const bottleneck = this.conv1.forward(torch.relu(this.norm1.forward(input)));
    return this.conv2.forward(torch.relu(this.norm2.forward(bottleneck)));
  }
}

class DenseBlock extends nn.Layer {
  readonly layers: DenseLayer[] = [];

  constructor(
    readonly numLayers: number,
    readonly inputFeatures: number,
    readonly growthRate: number,
    bottleneckSize: number,
  ) {
    super();
    for (let i = 0; i < numLayers; i++) {
      this.layers.push(
        this.registerModule(
          `denselayer${i + 1}`,
          new DenseLayer(inputFeatures + i * growthRate, growthRate, bottleneckSize),
        ),
      );
    }
  }

  forward(x: Tensor): Tensor {
    return torch.scope(() => {
      const maps = [x];
      for (const layer of this.layers) maps.push(torch.scope(() => layer.forward(maps)));
      return torch.cat(maps, 1);
    });
  }

  macs([c, h, w]: FeatureShape): Counted {
    let macs = 0;
    for (const [i, layer] of this.layers.entries()) {
      macs += countChain([layer.conv1, layer.conv2], [c + i * this.growthRate, h, w]).macs;
    }
    return { macs, shape: [c + this.numLayers * this.growthRate, h, w] };
  }
}

/** Transition: norm, relu, conv (1x1, halves the channels), pool (2x2 average). */
class Transition extends nn.Sequential {
  constructor(inputFeatures: number, outputFeatures: number) {
    super();
    this.add('norm', new nn.BatchNorm2d(inputFeatures));
    this.add('relu', new nn.ReLU());
    this.add('conv', new nn.Conv2d(inputFeatures, outputFeatures, 1, { bias: false }));
    this.add('pool', new nn.AvgPool2d(2, 2));
  }

  /** The activation before conv and pooling (the U-Net skip) and the transition's output. */
  forwardWithSkip(x: Tensor): { skip: Tensor; out: Tensor } {
    const skip = torch.scope(() => torch.relu(this.layers[0].forward(x)));
    const out = torch.scope(() => this.layers[3].forward(this.layers[2].forward(skip)));
    return { skip, out };
  }
}

export interface DenseNetOptions extends EncoderOptions {
  blockConfig: readonly number[];
  growthRate?: number;
  initFeatures?: number;
  bottleneckSize?: number;
}

export class DenseNet extends Encoder {
  readonly name: string;
  readonly inChannels: number;
  readonly outChannels: number[];
  readonly headChannels: number;
  readonly firstConvKey = 'features.conv0.weight';
  readonly classifierPrefixes = ['classifier.'];
  readonly features: nn.Sequential;
  readonly classifier: nn.Linear | null;
  readonly blocks: DenseBlock[] = [];
  readonly transitions: Transition[] = [];
  readonly stem: nn.Layer[];

  constructor(name: string, options: DenseNetOptions) {
    super();
    this.name = name;
    const growth = options.growthRate ?? 32;
    const bottleneckSize = options.bottleneckSize ?? 4;
    let features = options.initFeatures ?? 64;
    this.inChannels = options.inChannels ?? 1;
    this.stem = [
      new nn.Conv2d(this.inChannels, features, 7, { stride: 2, padding: 3, bias: false }),
      new nn.BatchNorm2d(features),
      new nn.ReLU(),
    ];
    this.features = this.registerModule(
      'features',
      nn.Sequential.named([
        ['conv0', this.stem[0]],
        ['norm0', this.stem[1]],
        ['relu0', this.stem[2]],
        ['pool0', new nn.MaxPool2d(3, 2, 1)],
      ]),
    );
    this.outChannels = [features];
    options.blockConfig.forEach((numLayers, i) => {
      const block = new DenseBlock(numLayers, features, growth, bottleneckSize);
      this.features.add(`denseblock${i + 1}`, block);
      this.blocks.push(block);
      features += numLayers * growth;
      if (i !== options.blockConfig.length - 1) {
        const transition = new Transition(features, Math.floor(features / 2));
        this.features.add(`transition${i + 1}`, transition);
        this.transitions.push(transition);
        this.outChannels.push(features);
        features = Math.floor(features / 2);
      }
    });
    this.features.add('norm5', new nn.BatchNorm2d(features));
    this.outChannels.push(features);
    this.headChannels = features;
    this.classifier = options.withClassifier
      ? this.registerModule('classifier', new nn.Linear(features, options.numClasses ?? 1000))
      : null;
    initFamily(this, { conv: 'kaiming-fan-in', zeroConvBias: false, linear: 'default-zero-bias' });
  }

  forwardFeatures(x: Tensor): Tensor[] {
    const stem = chain(this.stem, x);
    const maps = [stem];
    let current = torch.scope(() => this.features.child<nn.Layer>('pool0').forward(stem));
    for (const [i, block] of this.blocks.entries()) {
      const blockInput = current;
      const blockOutput = block.forward(blockInput);
      blockInput.dispose();
      if (i < this.transitions.length) {
        const { skip, out } = this.transitions[i].forwardWithSkip(blockOutput);
        blockOutput.dispose();
        maps.push(skip);
        current = out;
      } else {
        maps.push(torch.scope(() => this.features.child<nn.Layer>('norm5').forward(blockOutput)));
        blockOutput.dispose();
      }
    }
    return maps;
  }

  forwardHead(x: Tensor): Tensor {
    return torch.scope(() => torch.relu(chain(this.features.layers, x)));
  }

  forward(x: Tensor): Tensor {
    return this.classifyPooled(this.classifier, x);
  }

  macs(input: FeatureShape): Counted {
    return this.withPooledHeadMacs(countMacs(this.features, input), this.classifier);
  }

  /** torchvision's old checkpoints name `denselayerN.norm.1.weight` what is now `norm1.weight`. */
  override remapKey(key: string): string {
    return key.replace(
      /^(.*denselayer\d+\.(?:norm|relu|conv))\.((?:[12])\.(?:weight|bias|running_mean|running_var))$/,
      (_, a: string, b: string) => a + b,
    );
  }
}

export const densenetEncoders: EncoderTable = {
  densenet121: {
    create: (options: EncoderOptions = {}) => new DenseNet('densenet121', { ...options, blockConfig: [6, 12, 24, 16] }),
    outChannels: [64, 256, 512, 1024, 1024],
    torchvision: { constructor: 'densenet121', weights: 'IMAGENET1K_V1' },
  },
};
