// What the U-Net and the classifier need from an encoder, whatever its family. Each family keeps
// torchvision's module tree and parameter names, so torchvision's state dicts load by name.
import * as torch from '../torch/index.js';
import { nn, type Tensor } from '../torch/index.js';
import { countMacs, type Counted, type FeatureShape } from './flops.js';

export interface EncoderOptions {
  /** Channels of the input image: 1 for X-rays (default), 3 for torchvision's own inputs. */
  inChannels?: number;
  /** Keep torchvision's classification head (`fc` / `classifier`), for parity with torchvision. */
  withClassifier?: boolean;
  /** Classes of that head (torchvision: 1000). */
  numClasses?: number;
  /**
   * Only what the five feature maps need: leaves out layers that only classification uses
   * (EfficientNet's last 1x1 conv, `features.8`); a U-Net builds its encoder this way.
   */
  featuresOnly?: boolean;
}

export abstract class Encoder extends nn.Layer {
  /** The family's name in the encoder table (`resnet34`, `densenet121`, ...). */
  abstract readonly name: string;
  /** Channels of the five maps of forwardFeatures, at strides 2, 4, 8, 16 and 32. */
  abstract readonly outChannels: readonly number[];
  /** Channels of forwardHead's map, the one a classification head pools. */
  abstract readonly headChannels: number;
  /** State-dict key of the first convolution's weight, adapted when the input channels differ. */
  abstract readonly firstConvKey: string;
  /** Key prefixes of torchvision's classification head, dropped on load when the encoder has none. */
  abstract readonly classifierPrefixes: readonly string[];

  /** Five feature maps at strides 2, 4, 8, 16, 32 (the skips of a U-Net); call inside a scope. */
  abstract forwardFeatures(x: Tensor): Tensor[];

  /** The last feature map as torchvision's classifier sees it (before its global pooling). */
  abstract forwardHead(x: Tensor): Tensor;

  /** torchvision's full classification forward (needs withClassifier). */
  abstract override forward(x: Tensor): Tensor;

  /** MACs of the encoder as built (with its classification head if any) and the shape it gives. */
  abstract macs(input: FeatureShape): Counted;

  /** Renames keys of an older state-dict layout to the current one (DenseNet's `norm.1`). */
  remapKey(key: string): string {
    return key;
  }

  /** The first convolution's input channels. */
  abstract readonly inChannels: number;

  /** torchvision's forward for families whose head follows a global average pool (DenseNet, EfficientNet). */
  protected classifyPooled(head: nn.Layer | null, x: Tensor): Tensor {
    if (!head) throw new Error(`${this.name}: built without its classifier (withClassifier: false)`);
    return torch.scope(() => head.forward(torch.flatten(torch.adaptiveAvgPool2d(this.forwardHead(x), 1), 1)));
  }

  /** MACs of the features plus such a pooled head, if the encoder has one. */
  protected withPooledHeadMacs(features: Counted, head: nn.Module | null): Counted {
    if (!head) return features;
    const counted = countMacs(head, [features.shape[0], 1, 1]);
    return { macs: features.macs + counted.macs, shape: counted.shape };
  }
}

/** How torchvision builds a member of a family, for the weight-export recipe and the table. */
export interface EncoderSpec {
  /** Builds the encoder with random (torchvision-style) initialisation. */
  create(options?: EncoderOptions): Encoder;
  /** Channels at strides 2..32. */
  outChannels: readonly number[];
  /** torchvision's constructor and the ImageNet weights to export, or null when none exist. */
  torchvision: { constructor: string; weights: string } | null;
}

export type EncoderTable = Record<string, EncoderSpec>;
