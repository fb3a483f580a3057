// VGG-16/19, plain and with batch norm, with torchvision's module tree: `features` numbered as
// torchvision numbers them (conv, [bn,] relu, ..., maxpool), avgpool (7x7), `classifier` (0, 3, 6).
// The five feature maps are the outputs of the five max-pools (strides 2 to 32).
import * as torch from '../torch/index.js';
import { nn, type Tensor } from '../torch/index.js';
import { Encoder, type EncoderOptions, type EncoderSpec, type EncoderTable } from './encoder.js';
import { chain } from './chain.js';
import { countChain, countMacs, type Counted, type FeatureShape } from './flops.js';
import { initFamily } from './init.js';

const POOL = 'M';
type Config = readonly (number | typeof POOL)[];

const CONFIGS: Record<'vgg16' | 'vgg19', Config> = {
  vgg16: [64, 64, POOL, 128, 128, POOL, 256, 256, 256, POOL, 512, 512, 512, POOL, 512, 512, 512, POOL],
  vgg19: [64, 64, POOL, 128, 128, POOL, 256, 256, 256, 256, POOL, 512, 512, 512, 512, POOL, 512, 512, 512, 512, POOL],
};

export interface VggOptions extends EncoderOptions {
  config: Config;
  batchNorm: boolean;
}

export class Vgg extends Encoder {
  readonly name: string;
  readonly inChannels: number;
  readonly outChannels: number[] = [];
  readonly headChannels: number;
  readonly firstConvKey = 'features.0.weight';
  readonly classifierPrefixes = ['classifier.'];
  readonly features: nn.Sequential;
  readonly avgpool = new nn.AdaptiveAvgPool2d(7);
  readonly classifier: nn.Sequential | null;
  /** features.layers split after each max-pool: stage i gives the map at stride 2^(i+1). */
  readonly stages: nn.Layer[][] = [];

  constructor(name: string, options: VggOptions) {
    super();
    this.name = name;
    this.inChannels = options.inChannels ?? 1;
    const layers: nn.Layer[] = [];
    let channels = this.inChannels;
    let stage: nn.Layer[] = [];
    for (const item of options.config) {
      if (item === POOL) {
        stage.push(new nn.MaxPool2d(2, 2));
        this.stages.push(stage);
        this.outChannels.push(channels);
        layers.push(...stage);
        stage = [];
        continue;
      }
      stage.push(new nn.Conv2d(channels, item, 3, { padding: 1 }));
      if (options.batchNorm) stage.push(new nn.BatchNorm2d(item));
      stage.push(new nn.ReLU());
      channels = item;
    }
    this.features = this.registerModule('features', new nn.Sequential(...layers));
    this.headChannels = channels;
    this.registerModule('avgpool', this.avgpool);
    this.classifier = options.withClassifier
      ? this.registerModule(
          'classifier',
          new nn.Sequential(
            new nn.Linear(channels * 7 * 7, 4096),
            new nn.ReLU(),
            new nn.Dropout(0.5),
            new nn.Linear(4096, 4096),
            new nn.ReLU(),
            new nn.Dropout(0.5),
            new nn.Linear(4096, options.numClasses ?? 1000),
          ),
        )
      : null;
    initFamily(this, { conv: 'kaiming-fan-out', zeroConvBias: true, linear: 'normal-0.01' });
  }

  forwardFeatures(x: Tensor): Tensor[] {
    const maps: Tensor[] = [];
    let current = x;
    for (const stage of this.stages) {
      current = chain(stage, current);
      maps.push(current);
    }
    return maps;
  }

  forwardHead(x: Tensor): Tensor {
    return chain(this.features.layers, x);
  }

  forward(x: Tensor): Tensor {
    if (!this.classifier) throw new Error(`${this.name}: built without its classifier (withClassifier: false)`);
    const classifier = this.classifier;
    return torch.scope(() => classifier.forward(torch.flatten(this.avgpool.forward(this.forwardHead(x)), 1)));
  }

  macs(input: FeatureShape): Counted {
    const features = countMacs(this.features, input);
    if (!this.classifier) return features;
    const head = countChain([this.avgpool, this.classifier], features.shape);
    return { macs: features.macs + head.macs, shape: head.shape };
  }
}

// Every VGG variant has the same five stage widths and torchvision weights named after it.
const vgg = (name: string, config: Config, batchNorm: boolean): EncoderSpec => ({
  create: (options: EncoderOptions = {}) => new Vgg(name, { ...options, config, batchNorm }),
  outChannels: [64, 128, 256, 512, 512],
  torchvision: { constructor: name, weights: 'IMAGENET1K_V1' },
});

export const vggEncoders: EncoderTable = {
  vgg16: vgg('vgg16', CONFIGS.vgg16, false),
  vgg16_bn: vgg('vgg16_bn', CONFIGS.vgg16, true),
  vgg19: vgg('vgg19', CONFIGS.vgg19, false),
  vgg19_bn: vgg('vgg19_bn', CONFIGS.vgg19, true),
};
