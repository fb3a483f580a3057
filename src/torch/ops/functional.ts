// Neural-network functions (torch.nn.functional), named and defaulted as in PyTorch.
import { op } from '../dispatch.js';
import type { Tensor } from '../tensor.js';

type Pair = number | readonly [number, number];
const pair = (v: Pair): number[] => (typeof v === 'number' ? [v, v] : [...v]);

export interface ConvOptions {
  stride?: Pair;
  padding?: Pair;
  dilation?: Pair;
  groups?: number;
}

/** Stride, padding and dilation as ATen's int[2], with PyTorch's defaults (1, 0, 1). */
const convPairs = (o: ConvOptions): number[][] => [pair(o.stride ?? 1), pair(o.padding ?? 0), pair(o.dilation ?? 1)];

export function conv2d(input: Tensor, weight: Tensor, bias: Tensor | null = null, o: ConvOptions = {}): Tensor {
  const [stride, padding, dilation] = convPairs(o);
  return op('aten::conv2d').tensor(input, weight, bias, stride, padding, dilation, o.groups ?? 1);
}

export function convTranspose2d(
  input: Tensor,
  weight: Tensor,
  bias: Tensor | null = null,
  o: ConvOptions & { outputPadding?: Pair } = {},
): Tensor {
  const [stride, padding, dilation] = convPairs(o);
  return op('aten::conv_transpose2d', 'input').tensor(
    input,
    weight,
    bias,
    stride,
    padding,
    pair(o.outputPadding ?? 0),
    o.groups ?? 1,
    dilation,
  );
}

export const linear = (input: Tensor, weight: Tensor, bias: Tensor | null = null): Tensor =>
  op('aten::linear').tensor(input, weight, bias);

/** Batch normalisation; in training mode it updates runningMean/runningVar in place. */
export function batchNorm(
  input: Tensor,
  runningMean: Tensor | null,
  runningVar: Tensor | null,
  weight: Tensor | null,
  bias: Tensor | null,
  training: boolean,
  momentum = 0.1,
  eps = 1e-5,
): Tensor {
  return op('aten::batch_norm').tensor(input, weight, bias, runningMean, runningVar, training, momentum, eps, true);
}

export const groupNorm = (
  input: Tensor,
  groups: number,
  weight: Tensor | null = null,
  bias: Tensor | null = null,
  eps = 1e-5,
): Tensor => op('aten::group_norm').tensor(input, groups, weight, bias, eps, true);

export interface PoolOptions {
  stride?: Pair;
  padding?: Pair;
  ceilMode?: boolean;
}

/** Kernel, stride (the kernel by default) and padding as ATen's int[2]. */
const poolWindow = (kernel: Pair, o: PoolOptions): number[][] => [
  pair(kernel),
  pair(o.stride ?? kernel),
  pair(o.padding ?? 0),
];

export const maxPool2d = (input: Tensor, kernel: Pair, o: PoolOptions & { dilation?: Pair } = {}): Tensor =>
  op('aten::max_pool2d').tensor(input, ...poolWindow(kernel, o), pair(o.dilation ?? 1), o.ceilMode ?? false);

export const avgPool2d = (input: Tensor, kernel: Pair, o: PoolOptions & { countIncludePad?: boolean } = {}): Tensor =>
  op('aten::avg_pool2d').tensor(input, ...poolWindow(kernel, o), o.ceilMode ?? false, o.countIncludePad ?? true, null);

export const adaptiveAvgPool2d = (input: Tensor, size: Pair): Tensor =>
  op('aten::adaptive_avg_pool2d').tensor(input, pair(size));
export const adaptiveMaxPool2d = (input: Tensor, size: Pair): Tensor =>
  op('aten::adaptive_max_pool2d').tensors(input, pair(size))[0];

export interface InterpolateOptions {
  size?: Pair;
  scaleFactor?: number;
  mode?: 'nearest' | 'bilinear';
  alignCorners?: boolean;
}

/** Resizes (N, C, H, W) by size or scale factor, as torch.nn.functional.interpolate. */
export function interpolate(input: Tensor, o: InterpolateOptions): Tensor {
  if ((o.size === undefined) === (o.scaleFactor === undefined))
    throw new Error('interpolate(): give exactly one of size and scaleFactor');
  const size = o.size === undefined ? null : pair(o.size);
  const scales = o.scaleFactor === undefined ? null : [o.scaleFactor, o.scaleFactor];
  if ((o.mode ?? 'nearest') === 'nearest') return op('aten::upsample_nearest2d', 'vec').tensor(input, size, scales);
  return op('aten::upsample_bilinear2d', 'vec').tensor(input, size, o.alignCorners ?? false, scales);
}

export const dropout = (input: Tensor, p: number, training: boolean): Tensor =>
  op('aten::dropout').tensor(input, p, training);

export const relu = (a: Tensor): Tensor => op('aten::relu').tensor(a);
/** ReLU in place, as nn.ReLU(inplace=True) (torchvision's ResNets): returns its argument, one allocation saved. */
export function relu_(a: Tensor): Tensor {
  op('aten::relu_').tensor(a).dispose();
  return a;
}
export const relu6 = (a: Tensor): Tensor => op('aten::hardtanh').tensor(a, 0, 6);
export const leakyRelu = (a: Tensor, negativeSlope = 0.01): Tensor => op('aten::leaky_relu').tensor(a, negativeSlope);
export const elu = (a: Tensor, alpha = 1): Tensor => op('aten::elu').tensor(a, alpha, 1, 1);
export const sigmoid = (a: Tensor): Tensor => op('aten::sigmoid').tensor(a);
export const tanh = (a: Tensor): Tensor => op('aten::tanh').tensor(a);
export const silu = (a: Tensor): Tensor => op('aten::silu').tensor(a);
export const logSigmoid = (a: Tensor): Tensor => op('aten::log_sigmoid').tensor(a);
export const softmax = (a: Tensor, dim: number): Tensor => op('aten::softmax', 'int').tensor(a, dim, null);
export const logSoftmax = (a: Tensor, dim: number): Tensor => op('aten::log_softmax', 'int').tensor(a, dim, null);

export type Reduction = 'none' | 'mean' | 'sum';
const REDUCTION: Record<Reduction, number> = { none: 0, mean: 1, sum: 2 };

/** Binary cross-entropy on logits, numerically stable, with optional per-element weight and pos_weight. */
export function binaryCrossEntropyWithLogits(
  logits: Tensor,
  target: Tensor,
  o: { weight?: Tensor | null; posWeight?: Tensor | null; reduction?: Reduction } = {},
): Tensor {
  return op('aten::binary_cross_entropy_with_logits').tensor(
    logits,
    target,
    o.weight ?? null,
    o.posWeight ?? null,
    REDUCTION[o.reduction ?? 'mean'],
  );
}

export const binaryCrossEntropy = (probabilities: Tensor, target: Tensor, reduction: Reduction = 'mean'): Tensor =>
  op('aten::binary_cross_entropy').tensor(probabilities, target, null, REDUCTION[reduction]);

export const mseLoss = (input: Tensor, target: Tensor, reduction: Reduction = 'mean'): Tensor =>
  op('aten::mse_loss').tensor(input, target, REDUCTION[reduction]);
