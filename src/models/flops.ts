// Multiply-accumulate counts of conv and linear layers by walking shapes through a model, without
// running it. Blocks that are not a plain chain implement `macs(input)` themselves (CountsMacs);
// torch.nn's layers are handled here. FLOPs are reported as 2 x MACs.
import { nn } from '../torch/index.js';

/** Channels, height and width of one feature map (batch 1). */
export type FeatureShape = readonly [channels: number, height: number, width: number];

export interface Counted {
  macs: number;
  shape: FeatureShape;
}

export interface CountsMacs {
  macs(input: FeatureShape): Counted;
}

const pairOf = (v: number | readonly [number, number]): [number, number] =>
  typeof v === 'number' ? [v, v] : [v[0], v[1]];

function hasMacs(m: unknown): m is CountsMacs {
  return typeof (m as Partial<CountsMacs>).macs === 'function';
}

/** Output size of a convolution or pooling window along one dimension, as PyTorch computes it. */
export function windowOutput(
  size: number,
  kernel: number,
  stride: number,
  padding: number,
  dilation = 1,
  ceil = false,
): number {
  const span = size + 2 * padding - dilation * (kernel - 1) - 1;
  let out = (ceil ? Math.ceil(span / stride) : Math.floor(span / stride)) + 1;
  // PyTorch's rule: with ceil mode the last window must start inside the input or left padding.
  if (ceil && (out - 1) * stride >= size + padding) out -= 1;
  return out;
}

function conv(layer: nn.Conv2d, [c, h, w]: FeatureShape): Counted {
  if (c !== layer.inChannels) throw new Error(`MAC count: conv expects ${layer.inChannels} channels, got ${c}`);
  const [kh, kw] = pairOf(layer.kernelSize);
  const [sh, sw] = pairOf(layer.options.stride);
  const [ph, pw] = pairOf(layer.options.padding);
  const [dh, dw] = pairOf(layer.options.dilation);
  const oh = windowOutput(h, kh, sh, ph, dh);
  const ow = windowOutput(w, kw, sw, pw, dw);
  const macs = oh * ow * layer.outChannels * (layer.inChannels / layer.options.groups) * kh * kw;
  return { macs, shape: [layer.outChannels, oh, ow] };
}

function convTranspose(layer: nn.ConvTranspose2d, [c, h, w]: FeatureShape): Counted {
  if (c !== layer.inChannels)
    throw new Error(`MAC count: transposed conv expects ${layer.inChannels} channels, got ${c}`);
  const [kh, kw] = pairOf(layer.kernelSize);
  const [sh, sw] = pairOf(layer.options.stride);
  const [ph, pw] = pairOf(layer.options.padding);
  const [oph, opw] = pairOf(layer.options.outputPadding);
  const oh = (h - 1) * sh - 2 * ph + kh + oph;
  const ow = (w - 1) * sw - 2 * pw + kw + opw;
  // Every input pixel scatters a kernel-sized patch into every output channel.
  const macs = h * w * layer.inChannels * (layer.outChannels / layer.options.groups) * kh * kw;
  return { macs, shape: [layer.outChannels, oh, ow] };
}

function pool(
  kernel: number | [number, number],
  stride: number | [number, number],
  padding: number | [number, number],
  ceil: boolean,
  [c, h, w]: FeatureShape,
): Counted {
  const [kh, kw] = pairOf(kernel);
  const [sh, sw] = pairOf(stride);
  const [ph, pw] = pairOf(padding);
  return { macs: 0, shape: [c, windowOutput(h, kh, sh, ph, 1, ceil), windowOutput(w, kw, sw, pw, 1, ceil)] };
}

/** MACs of one layer or module on an input of the given shape, and the shape it gives. */
export function countMacs(layer: nn.Module, input: FeatureShape): Counted {
  if (hasMacs(layer)) return layer.macs(input);
  if (layer instanceof nn.Conv2d) return conv(layer, input);
  if (layer instanceof nn.ConvTranspose2d) return convTranspose(layer, input);
  if (layer instanceof nn.Linear) {
    const features = input[0] * input[1] * input[2];
    if (features !== layer.inFeatures)
      throw new Error(`MAC count: linear expects ${layer.inFeatures} features, got ${features}`);
    return { macs: layer.inFeatures * layer.outFeatures, shape: [layer.outFeatures, 1, 1] };
  }
  if (layer instanceof nn.MaxPool2d) return pool(layer.kernelSize, layer.stride, layer.padding, layer.ceilMode, input);
  if (layer instanceof nn.AvgPool2d) return pool(layer.kernelSize, layer.stride, layer.padding, false, input);
  if (layer instanceof nn.AdaptiveAvgPool2d) {
    const [oh, ow] = pairOf(layer.outputSize);
    return { macs: 0, shape: [input[0], oh, ow] };
  }
  if (layer instanceof nn.Sequential) return countChain(layer.layers, input);
  if (layer instanceof nn.Flatten) return { macs: 0, shape: [input[0] * input[1] * input[2], 1, 1] };
  const shapePreserving = [
    nn.BatchNorm2d,
    nn.GroupNorm,
    nn.ReLU,
    nn.ReLU6,
    nn.LeakyReLU,
    nn.SiLU,
    nn.Sigmoid,
    nn.Tanh,
    nn.Identity,
    nn.Dropout,
  ];
  if (shapePreserving.some((kind) => layer instanceof kind)) return { macs: 0, shape: input };
  throw new Error(`MAC count: no rule for ${layer.constructor.name}`);
}

export function countChain(layers: readonly nn.Module[], input: FeatureShape): Counted {
  let macs = 0;
  let shape = input;
  for (const layer of layers) {
    const counted = countMacs(layer, shape);
    macs += counted.macs;
    shape = counted.shape;
  }
  return { macs, shape };
}
