// U-Net as segmentation_models.pytorch builds it: the encoder's maps at strides 2..32, five decoder
// blocks (upsample x2, concatenate the skip, [scSE], conv-bn-relu twice, [scSE]), a 3x3 conv giving one
// logit per pixel, and optionally a classification head on the deepest map ("is there
// pneumothorax"). Module names follow smp (decoder.blocks.N.conv1.0, segmentation_head.0,
// classification_head.3), so smp's state dicts map onto it. Inputs whose sides are not multiples of
// 32 are padded here and the mask cropped back.
import * as torch from '../torch/index.js';
import { nn, type Tensor } from '../torch/index.js';
import type { Encoder } from './encoder.js';
import { EncoderModel } from './encoder-model.js';
import { Attention } from './scse.js';
import { countChain, countMacs, type Counted, type FeatureShape } from './flops.js';

export interface UnetConfig {
  /** Registry name, e.g. `unet-resnet34`. */
  name: string;
  task: 'segmentation';
  /** Encoder table name, e.g. `resnet34`. */
  encoder: string;
  inChannels: number;
  /** Output channels of the five decoder blocks, deepest first. */
  decoderChannels: number[];
  batchNorm: boolean;
  /** `nearest`: interpolate x2 then conv; `transposed`: a learned 2x2 stride-2 transposed conv first. */
  upsampling: 'nearest' | 'transposed';
  attention: 'scse' | null;
  /** An image-level logit from the deepest encoder map (global pool, dropout, linear). */
  auxHead: boolean;
  auxDropout: number;
  /**
   * An image-level logit from the mask itself: the mean of its largest logits (the top 1/4096 of the
   * pixels), i.e. the segmenter's peak evidence, as the winning SIIM solutions decided on the
   * segmenter's pixels. Trained with the aux loss it is a classifier that must point at the finding.
   * Absent in configs older than it: false.
   */
  peakLogit?: boolean;
  /** How inputs are padded to a multiple of 32: reflect (zero where the image is too small) or zero. */
  padMode: 'reflect' | 'zero';
}

export interface SegmentationOutput {
  /** One logit per pixel, [N, 1, H, W] at the input's size. */
  mask: Tensor;
  /** One image-level logit per image, [N], when the config has auxHead or peakLogit. */
  label?: Tensor;
}

/** smp's Conv2dReLU: conv (bias only without batch norm), [bn], relu. */
function convBnRelu(inC: number, outC: number, batchNorm: boolean): nn.Sequential {
  const layers: nn.Layer[] = [new nn.Conv2d(inC, outC, 3, { padding: 1, bias: !batchNorm })];
  if (batchNorm) layers.push(new nn.BatchNorm2d(outC));
  layers.push(new nn.ReLU());
  return new nn.Sequential(...layers);
}

class DecoderBlock extends nn.Module {
  readonly upsample: nn.ConvTranspose2d | null;
  readonly conv1: nn.Sequential;
  readonly attention1: Attention;
  readonly conv2: nn.Sequential;
  readonly attention2: Attention;

  constructor(
    readonly inChannels: number,
    readonly skipChannels: number,
    outChannels: number,
    config: UnetConfig,
  ) {
    super();
    this.upsample =
      config.upsampling === 'transposed'
        ? this.registerModule('upsample', new nn.ConvTranspose2d(inChannels, inChannels, 2, { stride: 2 }))
        : null;
    this.conv1 = this.registerModule('conv1', convBnRelu(inChannels + skipChannels, outChannels, config.batchNorm));
    // Attention on the concatenation only where there is one (smp builds an unused one in the last block).
    this.attention1 = this.registerModule(
      'attention1',
      new Attention(skipChannels > 0 ? config.attention : null, inChannels + skipChannels),
    );
    this.conv2 = this.registerModule('conv2', convBnRelu(outChannels, outChannels, config.batchNorm));
    this.attention2 = this.registerModule('attention2', new Attention(config.attention, outChannels));
  }

  forward(x: Tensor, skip: Tensor | null): Tensor {
    let y = this.upsample ? this.upsample.forward(x) : torch.interpolate(x, { scaleFactor: 2, mode: 'nearest' });
    if (skip) y = this.attention1.forward(torch.cat([y, skip], 1));
    return this.attention2.forward(this.conv2.forward(this.conv1.forward(y)));
  }

  macs([c, h, w]: FeatureShape): Counted {
    let macs = 0;
    let shape: FeatureShape = [c, 2 * h, 2 * w];
    if (this.upsample) macs += countMacs(this.upsample, [c, h, w]).macs;
    if (this.skipChannels > 0) {
      shape = [c + this.skipChannels, 2 * h, 2 * w];
      macs += countMacs(this.attention1, shape).macs;
    }
    const rest = countChain([this.conv1, this.conv2, this.attention2], shape);
    return { macs: macs + rest.macs, shape: rest.shape };
  }
}

class UnetDecoder extends nn.Module {
  readonly blocks: nn.ModuleList<DecoderBlock>;

  constructor(encoderChannels: readonly number[], config: UnetConfig) {
    super();
    const reversed = [...encoderChannels].reverse();
    const inChannels = [reversed[0], ...config.decoderChannels.slice(0, -1)];
    const skipChannels = [...reversed.slice(1), 0];
    this.registerModule('center', new nn.Identity());
    this.blocks = this.registerModule(
      'blocks',
      new nn.ModuleList(
        config.decoderChannels.map((out, i) => new DecoderBlock(inChannels[i], skipChannels[i], out, config)),
      ),
    );
  }

  /** Features at strides 2..32 in, the last block's map at stride 1 out. */
  forward(features: readonly Tensor[]): Tensor {
    const skips = [...features].reverse();
    let x = skips[0];
    for (const [i, block] of this.blocks.items.entries()) {
      const input = x;
      x = torch.scope(() => block.forward(input, skips[i + 1] ?? null));
      if (input !== skips[0]) input.dispose();
    }
    return x;
  }

  macs(deepest: FeatureShape): Counted {
    return countChain(this.blocks.items, deepest);
  }
}

export const UNET_STRIDE = 32;

export class Unet extends EncoderModel<UnetConfig> {
  readonly decoder: UnetDecoder;
  readonly segmentationHead: nn.Sequential;
  readonly classificationHead: nn.Sequential | null;

  constructor(config: UnetConfig, encoder: Encoder) {
    super(config, encoder);
    if (config.decoderChannels.length !== 5)
      throw new Error(`U-Net: decoderChannels needs 5 values (one per block), got ${config.decoderChannels.length}`);
    this.decoder = this.registerModule('decoder', new UnetDecoder(encoder.outChannels, config));
    this.segmentationHead = this.registerModule(
      'segmentation_head',
      new nn.Sequential(new nn.Conv2d(config.decoderChannels[4], 1, 3, { padding: 1 })),
    );
    const deepest = encoder.outChannels[4];
    this.classificationHead = config.auxHead
      ? this.registerModule(
          'classification_head',
          new nn.Sequential(
            new nn.AdaptiveAvgPool2d(1),
            new nn.Flatten(),
            new nn.Dropout(config.auxDropout),
            new nn.Linear(deepest, 1),
          ),
        )
      : null;
    initDecoder(this.decoder);
    for (const head of [this.segmentationHead, this.classificationHead]) if (head) initHead(head);
  }

  /** Mask logits [N, 1, H, W] for images [N, C, H, W] of any size, and the image logit if configured. */
  forward(x: Tensor): SegmentationOutput {
    return this.run(x, false).output;
  }

  /**
   * forward, and the global average pool of the deepest encoder map, [N, C] (what the input gate
   * measures the image by), from the same pass.
   */
  forwardWithFeatures(x: Tensor): { output: SegmentationOutput; features: Tensor } {
    const { output, features } = this.run(x, true);
    return { output, features: features! };
  }

  // The features are pooled only when asked: a traced forward (ONNX export) must not hold a dead pooling.
  private run(x: Tensor, withFeatures: boolean): { output: SegmentationOutput; features: Tensor | null } {
    return torch.scope(() => {
      const [n, , h, w] = x.shape;
      const padding = paddingTo(h, w, UNET_STRIDE);
      const padded = padding ? padImage(x, padding, this.config.padMode) : x;
      const features = this.encoder.forwardFeatures(padded);
      const pooled = withFeatures ? torch.flatten(torch.adaptiveAvgPool2d(features[4], 1), 1) : null;
      const label = this.classificationHead
        ? torch.reshape(this.classificationHead.forward(features[4]), [n])
        : undefined;
      let mask = this.segmentationHead.forward(this.decoder.forward(features));
      if (padding)
        mask = torch.slice(torch.slice(mask, 2, padding.top, padding.top + h), 3, padding.left, padding.left + w);
      const output = this.config.peakLogit ? { mask, label: peakLogit(mask) } : label ? { mask, label } : { mask };
      return { output, features: pooled };
    });
  }

  /** The global average pool of the deepest encoder map, [N, C], without the decoder. */
  pooledFeatures(x: Tensor): Tensor {
    return torch.scope(() => {
      const [, , h, w] = x.shape;
      const padding = paddingTo(h, w, UNET_STRIDE);
      const padded = padding ? padImage(x, padding, this.config.padMode) : x;
      const features = this.encoder.forwardFeatures(padded);
      return torch.flatten(torch.adaptiveAvgPool2d(features[4], 1), 1);
    });
  }

  /** MACs of one image of the given size (after padding to a multiple of 32). */
  macs(height: number, width: number): number {
    const ph = Math.ceil(height / UNET_STRIDE) * UNET_STRIDE;
    const pw = Math.ceil(width / UNET_STRIDE) * UNET_STRIDE;
    const encoder = this.encoder.macs([this.encoder.inChannels, ph, pw]);
    const deepest: FeatureShape = [this.encoder.outChannels[4], ph / UNET_STRIDE, pw / UNET_STRIDE];
    const decoder = this.decoder.macs(deepest);
    let total = encoder.macs + decoder.macs + countMacs(this.segmentationHead, decoder.shape).macs;
    if (this.classificationHead) total += countMacs(this.classificationHead, deepest).macs;
    return total;
  }
}

/** Share of the pixels whose logits make the peak evidence: below the smallest SIIM masks (0.05%). */
export const PEAK_PIXELS = 1 / 4096;

/** The mean of each image's largest mask logits, [N]. */
export function peakLogit(mask: Tensor): Tensor {
  return torch.scope(() => {
    const [n, , h, w] = mask.shape;
    const k = Math.max(1, Math.round(h * w * PEAK_PIXELS));
    return torch.topk(torch.reshape(mask, [n, h * w]), k, 1).values.mean(1);
  });
}

interface Padding {
  top: number;
  bottom: number;
  left: number;
  right: number;
}

/** Symmetric padding up to the next multiple of `stride`, or null when none is needed. */
export function paddingTo(height: number, width: number, stride: number): Padding | null {
  const dh = Math.ceil(height / stride) * stride - height;
  const dw = Math.ceil(width / stride) * stride - width;
  if (dh === 0 && dw === 0) return null;
  return { top: dh >> 1, bottom: dh - (dh >> 1), left: dw >> 1, right: dw - (dw >> 1) };
}

function padImage(x: Tensor, p: Padding, mode: UnetConfig['padMode']): Tensor {
  const [, , h, w] = x.shape;
  // Reflection needs each pad to be smaller than the side it mirrors.
  const canReflect = Math.max(p.top, p.bottom) < h && Math.max(p.left, p.right) < w;
  return torch.pad(x, [p.left, p.right, p.top, p.bottom], mode === 'reflect' && canReflect ? 'reflect' : 'constant');
}

/** smp's initialize_decoder: kaiming-uniform convs (fan in, relu) with zero bias, unit batch norm. */
function initDecoder(decoder: nn.Module): void {
  for (const [, m] of decoder.namedModules()) {
    if (m instanceof nn.Conv2d) {
      nn.init.kaimingUniform_(m.param('weight'), 0, 'fan_in', 'relu');
      if (m.options.bias) nn.init.constant_(m.param('bias'), 0);
    } else if (m instanceof nn.BatchNorm2d) {
      nn.init.constant_(m.param('weight'), 1);
      nn.init.constant_(m.param('bias'), 0);
    }
  }
}

/** smp's initialize_head: xavier-uniform weights, zero bias. */
export function initHead(head: nn.Module): void {
  for (const [, m] of head.namedModules()) {
    if (m instanceof nn.Conv2d || m instanceof nn.Linear) {
      nn.init.xavierUniform_(m.param('weight'));
      const hasBias = m instanceof nn.Conv2d ? m.options.bias : m.hasBias;
      if (hasBias) nn.init.constant_(m.param('bias'), 0);
    }
  }
}
