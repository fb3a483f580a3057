// ResNet-18/34 (BasicBlock) and ResNet-50 (Bottleneck) with torchvision's module tree: conv1, bn1,
// relu, maxpool, layer1..layer4 (blocks "0", "1", ...; `downsample` = Sequential(conv1x1, bn)),
// avgpool, fc. A width other than 64 gives the small variants used by tests and the CPU demo.
import * as torch from '../torch/index.js';
import { nn, type Tensor } from '../torch/index.js';
import { Encoder, type EncoderOptions, type EncoderTable } from './encoder.js';
import { chain } from './chain.js';
import { countChain, countMacs, type Counted, type FeatureShape } from './flops.js';
import { initFamily } from './init.js';

const conv3x3 = (inPlanes: number, outPlanes: number, stride = 1) =>
  new nn.Conv2d(inPlanes, outPlanes, 3, { stride, padding: 1, bias: false });
const conv1x1 = (inPlanes: number, outPlanes: number, stride = 1) =>
  new nn.Conv2d(inPlanes, outPlanes, 1, { stride, bias: false });

class BasicBlock extends nn.Layer {
  static readonly expansion = 1;
  readonly conv1: nn.Conv2d;
  readonly bn1: nn.BatchNorm2d;
  readonly conv2: nn.Conv2d;
  readonly bn2: nn.BatchNorm2d;
  readonly downsample: nn.Sequential | null;

  constructor(inPlanes: number, planes: number, stride: number, downsample: nn.Sequential | null) {
    super();
    this.conv1 = this.registerModule('conv1', conv3x3(inPlanes, planes, stride));
    this.bn1 = this.registerModule('bn1', new nn.BatchNorm2d(planes));
    this.conv2 = this.registerModule('conv2', conv3x3(planes, planes));
    this.bn2 = this.registerModule('bn2', new nn.BatchNorm2d(planes));
    this.downsample = downsample ? this.registerModule('downsample', downsample) : null;
  }

  forward(x: Tensor): Tensor {
    const out = this.bn2.forward(this.conv2.forward(torch.relu(this.bn1.forward(this.conv1.forward(x)))));
    const identity = this.downsample ? this.downsample.forward(x) : x;
    return torch.relu(torch.add(out, identity));
  }

  macs(input: FeatureShape): Counted {
    const main = countChain([this.conv1, this.conv2], input);
    return { macs: main.macs + (this.downsample ? countMacs(this.downsample, input).macs : 0), shape: main.shape };
  }
}

/** torchvision's ResNet v1.5 bottleneck: the stride sits on the 3x3 conv. */
class Bottleneck extends nn.Layer {
  static readonly expansion = 4;
  readonly conv1: nn.Conv2d;
  readonly bn1: nn.BatchNorm2d;
  readonly conv2: nn.Conv2d;
  readonly bn2: nn.BatchNorm2d;
  readonly conv3: nn.Conv2d;
  readonly bn3: nn.BatchNorm2d;
  readonly downsample: nn.Sequential | null;

  constructor(inPlanes: number, planes: number, stride: number, downsample: nn.Sequential | null) {
    super();
    this.conv1 = this.registerModule('conv1', conv1x1(inPlanes, planes));
    this.bn1 = this.registerModule('bn1', new nn.BatchNorm2d(planes));
    this.conv2 = this.registerModule('conv2', conv3x3(planes, planes, stride));
    this.bn2 = this.registerModule('bn2', new nn.BatchNorm2d(planes));
    this.conv3 = this.registerModule('conv3', conv1x1(planes, planes * Bottleneck.expansion));
    this.bn3 = this.registerModule('bn3', new nn.BatchNorm2d(planes * Bottleneck.expansion));
    this.downsample = downsample ? this.registerModule('downsample', downsample) : null;
  }

  forward(x: Tensor): Tensor {
    let out = torch.relu(this.bn1.forward(this.conv1.forward(x)));
    out = torch.relu(this.bn2.forward(this.conv2.forward(out)));
    out = this.bn3.forward(this.conv3.forward(out));
    const identity = this.downsample ? this.downsample.forward(x) : x;
    return torch.relu(torch.add(out, identity));
  }

  macs(input: FeatureShape): Counted {
    const main = countChain([this.conv1, this.conv2, this.conv3], input);
    return { macs: main.macs + (this.downsample ? countMacs(this.downsample, input).macs : 0), shape: main.shape };
  }
}

type Block = typeof BasicBlock | typeof Bottleneck;

export interface ResNetOptions extends EncoderOptions {
  /** Blocks per stage, e.g. [2, 2, 2, 2] for ResNet-18. */
  layers: readonly [number, number, number, number];
  block: 'basic' | 'bottleneck';
  /** Channels of the stem and of the first stage's blocks (torchvision: 64). */
  width?: number;
}

export class ResNet extends Encoder {
  readonly name: string;
  readonly inChannels: number;
  readonly outChannels: readonly number[];
  readonly headChannels: number;
  readonly firstConvKey = 'conv1.weight';
  readonly classifierPrefixes = ['fc.'];
  readonly conv1: nn.Conv2d;
  readonly bn1: nn.BatchNorm2d;
  readonly relu = new nn.ReLU();
  readonly maxpool = new nn.MaxPool2d(3, 2, 1);
  readonly stages: nn.Sequential[];
  readonly avgpool = new nn.AdaptiveAvgPool2d(1);
  readonly fc: nn.Linear | null;

  constructor(name: string, options: ResNetOptions) {
    super();
    this.name = name;
    const width = options.width ?? 64;
    const block: Block = options.block === 'basic' ? BasicBlock : Bottleneck;
    this.inChannels = options.inChannels ?? 1;
    this.conv1 = this.registerModule(
      'conv1',
      new nn.Conv2d(this.inChannels, width, 7, { stride: 2, padding: 3, bias: false }),
    );
    this.bn1 = this.registerModule('bn1', new nn.BatchNorm2d(width));
    this.registerModule('relu', this.relu);
    this.registerModule('maxpool', this.maxpool);
    let inPlanes = width;
    this.stages = options.layers.map((count, i) => {
      const planes = width * 2 ** i;
      const stride = i === 0 ? 1 : 2;
      const blocks: nn.Layer[] = [];
      for (let b = 0; b < count; b++) {
        const needsDownsample = b === 0 && (stride !== 1 || inPlanes !== planes * block.expansion);
        const downsample = needsDownsample
          ? new nn.Sequential(
              conv1x1(inPlanes, planes * block.expansion, stride),
              new nn.BatchNorm2d(planes * block.expansion),
            )
          : null;
        blocks.push(new block(inPlanes, planes, b === 0 ? stride : 1, downsample));
        inPlanes = planes * block.expansion;
      }
      return this.registerModule(`layer${i + 1}`, new nn.Sequential(...blocks));
    });
    this.registerModule('avgpool', this.avgpool);
    this.fc = options.withClassifier
      ? this.registerModule('fc', new nn.Linear(inPlanes, options.numClasses ?? 1000))
      : null;
    this.outChannels = [width, ...[0, 1, 2, 3].map((i) => width * 2 ** i * block.expansion)];
    this.headChannels = inPlanes;
    initFamily(this, { conv: 'kaiming-fan-out', zeroConvBias: false, linear: 'default' });
  }

  forwardFeatures(x: Tensor): Tensor[] {
    const stem = torch.scope(() => torch.relu(this.bn1.forward(this.conv1.forward(x))));
    const features = [stem];
    const pooled = torch.scope(() => this.maxpool.forward(stem));
    let current = pooled;
    for (const stage of this.stages) {
      current = chain(stage.layers, current);
      features.push(current);
    }
    pooled.dispose();
    return features;
  }

  forwardHead(x: Tensor): Tensor {
    const stem = torch.scope(() => this.maxpool.forward(torch.relu(this.bn1.forward(this.conv1.forward(x)))));
    return chain(
      this.stages.flatMap((s) => s.layers),
      stem,
    );
  }

  forward(x: Tensor): Tensor {
    if (!this.fc) throw new Error(`${this.name}: built without its classifier (withClassifier: false)`);
    const fc = this.fc;
    return torch.scope(() => fc.forward(torch.flatten(this.avgpool.forward(this.forwardHead(x)), 1)));
  }

  macs(input: FeatureShape): Counted {
    const layers: nn.Module[] = [this.conv1, this.maxpool, ...this.stages];
    if (this.fc) layers.push(this.avgpool, this.fc);
    return countChain(layers, input);
  }
}

const resnet =
  (name: string, layers: ResNetOptions['layers'], block: ResNetOptions['block'], width = 64) =>
  (options: EncoderOptions = {}) =>
    new ResNet(name, { ...options, layers, block, width });

export const resnetEncoders: EncoderTable = {
  resnet18: {
    create: resnet('resnet18', [2, 2, 2, 2], 'basic'),
    outChannels: [64, 64, 128, 256, 512],
    torchvision: { constructor: 'resnet18', weights: 'IMAGENET1K_V1' },
  },
  resnet34: {
    create: resnet('resnet34', [3, 4, 6, 3], 'basic'),
    outChannels: [64, 64, 128, 256, 512],
    torchvision: { constructor: 'resnet34', weights: 'IMAGENET1K_V1' },
  },
  resnet50: {
    create: resnet('resnet50', [3, 4, 6, 3], 'bottleneck'),
    outChannels: [64, 256, 512, 1024, 2048],
    torchvision: { constructor: 'resnet50', weights: 'IMAGENET1K_V2' },
  },
  // ResNet-18's structure at a quarter of the width: fast tests and the 2-core CPU demo.
  'resnet18-w16': {
    create: resnet('resnet18-w16', [2, 2, 2, 2], 'basic', 16),
    outChannels: [16, 16, 32, 64, 128],
    torchvision: null,
  },
};
