// EfficientNet-B0 with torchvision's module tree (`efficientnet_b0`, not timm's names): features.0
// (stem conv, bn, SiLU), features.1..7 (stages of MBConv blocks, each `block` = [expand,] depthwise,
// squeeze-excitation (fc1, fc2), project), features.8 (1x1 conv to 1280), avgpool, classifier
// (dropout, linear). Feature maps as segmentation_models.pytorch takes them: features.0, 2, 3, 5, 7.
import * as torch from '../torch/index.js';
import { nn, type Tensor } from '../torch/index.js';
import { Encoder, type EncoderOptions, type EncoderTable } from './encoder.js';
import { chain } from './chain.js';
import { countChain, countMacs, type Counted, type FeatureShape } from './flops.js';
import { initFamily } from './init.js';

/** torchvision's Conv2dNormActivation: Sequential(conv without bias, bn[, SiLU]), "same" padding. */
function convNormActivation(
  inC: number,
  outC: number,
  kernel: number,
  o: { stride?: number; groups?: number; activation?: boolean } = {},
) {
  const layers: nn.Layer[] = [
    new nn.Conv2d(inC, outC, kernel, {
      stride: o.stride ?? 1,
      padding: (kernel - 1) >> 1,
      groups: o.groups ?? 1,
      bias: false,
    }),
    new nn.BatchNorm2d(outC),
  ];
  if (o.activation ?? true) layers.push(new nn.SiLU());
  return new nn.Sequential(...layers);
}

class SqueezeExcitation extends nn.Layer {
  readonly fc1: nn.Conv2d;
  readonly fc2: nn.Conv2d;

  constructor(channels: number, squeezeChannels: number) {
    super();
    this.registerModule('avgpool', new nn.AdaptiveAvgPool2d(1));
    this.fc1 = this.registerModule('fc1', new nn.Conv2d(channels, squeezeChannels, 1));
    this.fc2 = this.registerModule('fc2', new nn.Conv2d(squeezeChannels, channels, 1));
    this.registerModule('activation', new nn.SiLU());
    this.registerModule('scale_activation', new nn.Sigmoid());
  }

  forward(x: Tensor): Tensor {
    const scale = torch.sigmoid(this.fc2.forward(torch.silu(this.fc1.forward(torch.adaptiveAvgPool2d(x, 1)))));
    return torch.mul(x, scale);
  }

  macs(input: FeatureShape): Counted {
    return { macs: countChain([this.fc1, this.fc2], [input[0], 1, 1]).macs, shape: input };
  }
}

interface StageConfig {
  expandRatio: number;
  kernel: number;
  stride: number;
  inputChannels: number;
  outChannels: number;
  numLayers: number;
}

class MBConv extends nn.Layer {
  readonly block: nn.Sequential;
  readonly useResidual: boolean;

  constructor(
    c: StageConfig,
    readonly stochasticDepthProbability: number,
  ) {
    super();
    this.useResidual = c.stride === 1 && c.inputChannels === c.outChannels;
    const expanded = c.inputChannels * c.expandRatio;
    const layers: nn.Layer[] = [];
    if (expanded !== c.inputChannels) layers.push(convNormActivation(c.inputChannels, expanded, 1));
    layers.push(convNormActivation(expanded, expanded, c.kernel, { stride: c.stride, groups: expanded }));
    layers.push(new SqueezeExcitation(expanded, Math.max(1, Math.floor(c.inputChannels / 4))));
    layers.push(convNormActivation(expanded, c.outChannels, 1, { activation: false }));
    this.block = this.registerModule('block', new nn.Sequential(...layers));
  }

  forward(x: Tensor): Tensor {
    const out = this.block.forward(x);
    return this.useResidual ? torch.add(this.stochasticDepth(out), x) : out;
  }

  /** torchvision's StochasticDepth(mode="row"): drops the whole branch per sample while training. */
  private stochasticDepth(x: Tensor): Tensor {
    const p = this.stochasticDepthProbability;
    if (!this.training || p === 0) return x;
    const survival = 1 - p;
    const keep = torch.noGrad(() => torch.div(torch.lt(torch.rand([x.shape[0], 1, 1, 1]), survival).float(), survival));
    return torch.mul(x, keep);
  }

  macs(input: FeatureShape): Counted {
    return countMacs(this.block, input);
  }
}

// expand ratio, kernel, stride, input channels, output channels, layers: torchvision's B0 table.
const B0: StageConfig[] = [
  [1, 3, 1, 32, 16, 1],
  [6, 3, 2, 16, 24, 2],
  [6, 5, 2, 24, 40, 2],
  [6, 3, 2, 40, 80, 3],
  [6, 5, 1, 80, 112, 3],
  [6, 5, 2, 112, 192, 4],
  [6, 3, 1, 192, 320, 1],
].map(([expandRatio, kernel, stride, inputChannels, outChannels, numLayers]) => ({
  expandRatio,
  kernel,
  stride,
  inputChannels,
  outChannels,
  numLayers,
}));

/** Indices into `features` whose outputs are the maps at strides 2, 4, 8, 16, 32. */
const FEATURE_INDICES = [0, 2, 3, 5, 7];

export interface EfficientNetOptions extends EncoderOptions {
  stages: readonly StageConfig[];
  stochasticDepthProbability?: number;
  dropout?: number;
}

export class EfficientNet extends Encoder {
  readonly name: string;
  readonly inChannels: number;
  readonly outChannels: number[];
  readonly headChannels: number;
  readonly firstConvKey = 'features.0.0.weight';
  readonly classifierPrefixes: string[];
  readonly features: nn.Sequential;
  readonly classifier: nn.Sequential | null;

  constructor(name: string, options: EfficientNetOptions) {
    super();
    this.name = name;
    this.inChannels = options.inChannels ?? 1;
    const stages = options.stages;
    const layers: nn.Layer[] = [convNormActivation(this.inChannels, stages[0].inputChannels, 3, { stride: 2 })];
    const totalBlocks = stages.reduce((n, s) => n + s.numLayers, 0);
    let blockId = 0;
    for (const stage of stages) {
      const blocks: nn.Layer[] = [];
      for (let i = 0; i < stage.numLayers; i++) {
        const config = i === 0 ? stage : { ...stage, inputChannels: stage.outChannels, stride: 1 };
        blocks.push(new MBConv(config, ((options.stochasticDepthProbability ?? 0.2) * blockId) / totalBlocks));
        blockId++;
      }
      layers.push(new nn.Sequential(...blocks));
    }
    const last = stages[stages.length - 1].outChannels;
    if (!options.featuresOnly) layers.push(convNormActivation(last, 4 * last, 1));
    this.features = this.registerModule('features', new nn.Sequential(...layers));
    this.outChannels = [stages[0].inputChannels, ...FEATURE_INDICES.slice(1).map((i) => stages[i - 1].outChannels)];
    this.headChannels = options.featuresOnly ? last : 4 * last;
    this.classifierPrefixes = options.featuresOnly ? ['classifier.', 'features.8.'] : ['classifier.'];
    this.registerModule('avgpool', new nn.AdaptiveAvgPool2d(1));
    this.classifier =
      options.withClassifier && !options.featuresOnly
        ? this.registerModule(
            'classifier',
            new nn.Sequential(
              new nn.Dropout(options.dropout ?? 0.2),
              new nn.Linear(4 * last, options.numClasses ?? 1000),
            ),
          )
        : null;
    initFamily(this, { conv: 'kaiming-fan-out', zeroConvBias: true, linear: 'uniform-fan-out' });
  }

  forwardFeatures(x: Tensor): Tensor[] {
    const maps: Tensor[] = [];
    let current = x;
    let start = 0;
    for (const end of FEATURE_INDICES) {
      const input = current;
      current = chain(this.features.layers.slice(start, end + 1), input);
      maps.push(current);
      start = end + 1;
    }
    return maps;
  }

  forwardHead(x: Tensor): Tensor {
    return chain(this.features.layers, x);
  }

  forward(x: Tensor): Tensor {
    return this.classifyPooled(this.classifier, x);
  }

  macs(input: FeatureShape): Counted {
    return this.withPooledHeadMacs(countMacs(this.features, input), this.classifier);
  }
}

export const efficientnetEncoders: EncoderTable = {
  'efficientnet-b0': {
    create: (options: EncoderOptions = {}) => new EfficientNet('efficientnet-b0', { ...options, stages: B0 }),
    outChannels: [32, 24, 40, 112, 320],
    torchvision: { constructor: 'efficientnet_b0', weights: 'IMAGENET1K_V1' },
  },
};
