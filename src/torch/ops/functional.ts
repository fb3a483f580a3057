// Neural-network functions (torch.nn.functional), named and defaulted as in PyTorch.
import { op } from '../dispatch.js';
import type { Tensor } from '../tensor.js';

type Pair = number | readonly [number, number];
const pair = (v: Pair): number[] => (typeof v === 'number' ? [v, v] : [...v]);

const conv2dOp = op('aten::conv2d');
const convTranspose2dOp = op('aten::conv_transpose2d', 'input');
const linearOp = op('aten::linear');
const batchNormOp = op('aten::batch_norm');
const groupNormOp = op('aten::group_norm');
const maxPool2dOp = op('aten::max_pool2d');
const avgPool2dOp = op('aten::avg_pool2d');
const adaptiveAvgPool2dOp = op('aten::adaptive_avg_pool2d');
const adaptiveMaxPool2dOp = op('aten::adaptive_max_pool2d');
const upsampleNearest = op('aten::upsample_nearest2d', 'vec');
const upsampleBilinear = op('aten::upsample_bilinear2d', 'vec');
const dropoutOp = op('aten::dropout');
const reluOp = op('aten::relu');
const reluInPlaceOp = op('aten::relu_');
const relu6Op = op('aten::hardtanh');
const leakyReluOp = op('aten::leaky_relu');
const sigmoidOp = op('aten::sigmoid');
const tanhOp = op('aten::tanh');
const siluOp = op('aten::silu');
const logSigmoidOp = op('aten::log_sigmoid');
const softmaxOp = op('aten::softmax', 'int');
const logSoftmaxOp = op('aten::log_softmax', 'int');
const bceLogitsOp = op('aten::binary_cross_entropy_with_logits');
const bceOp = op('aten::binary_cross_entropy');
const mseOp = op('aten::mse_loss');
const eluOp = op('aten::elu');

export interface ConvOptions {
  stride?: Pair;
  padding?: Pair;
  dilation?: Pair;
  groups?: number;
}

export function conv2d(input: Tensor, weight: Tensor, bias: Tensor | null = null, o: ConvOptions = {}): Tensor {
  return conv2dOp.tensor(
    input,
    weight,
    bias,
    pair(o.stride ?? 1),
    pair(o.padding ?? 0),
    pair(o.dilation ?? 1),
    o.groups ?? 1,
  );
}

export function convTranspose2d(
  input: Tensor,
  weight: Tensor,
  bias: Tensor | null = null,
  o: ConvOptions & { outputPadding?: Pair } = {},
): Tensor {
  return convTranspose2dOp.tensor(
    input,
    weight,
    bias,
    pair(o.stride ?? 1),
    pair(o.padding ?? 0),
    pair(o.outputPadding ?? 0),
    o.groups ?? 1,
    pair(o.dilation ?? 1),
  );
}

export const linear = (input: Tensor, weight: Tensor, bias: Tensor | null = null): Tensor =>
  linearOp.tensor(input, weight, bias);

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
  return batchNormOp.tensor(input, weight, bias, runningMean, runningVar, training, momentum, eps, true);
}

export const groupNorm = (
  input: Tensor,
  groups: number,
  weight: Tensor | null = null,
  bias: Tensor | null = null,
  eps = 1e-5,
): Tensor => groupNormOp.tensor(input, groups, weight, bias, eps, true);

export interface PoolOptions {
  stride?: Pair;
  padding?: Pair;
  ceilMode?: boolean;
}

export const maxPool2d = (input: Tensor, kernel: Pair, o: PoolOptions & { dilation?: Pair } = {}): Tensor =>
  maxPool2dOp.tensor(
    input,
    pair(kernel),
    pair(o.stride ?? kernel),
    pair(o.padding ?? 0),
    pair(o.dilation ?? 1),
    o.ceilMode ?? false,
  );

export const avgPool2d = (input: Tensor, kernel: Pair, o: PoolOptions & { countIncludePad?: boolean } = {}): Tensor =>
  avgPool2dOp.tensor(
    input,
    pair(kernel),
    pair(o.stride ?? kernel),
    pair(o.padding ?? 0),
    o.ceilMode ?? false,
    o.countIncludePad ?? true,
    null,
  );

export const adaptiveAvgPool2d = (input: Tensor, size: Pair): Tensor => adaptiveAvgPool2dOp.tensor(input, pair(size));
export const adaptiveMaxPool2d = (input: Tensor, size: Pair): Tensor =>
  adaptiveMaxPool2dOp.tensors(input, pair(size))[0];

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
  if ((o.mode ?? 'nearest') === 'nearest') return upsampleNearest.tensor(input, size, scales);
  return upsampleBilinear.tensor(input, size, o.alignCorners ?? false, scales);
}

export const dropout = (input: Tensor, p: number, training: boolean): Tensor => dropoutOp.tensor(input, p, training);

export const relu = (a: Tensor): Tensor => reluOp.tensor(a);
/** ReLU in place, as nn.ReLU(inplace=True) (torchvision's ResNets): returns its argument, one allocation saved. */
export function relu_(a: Tensor): Tensor {
  reluInPlaceOp.tensor(a).dispose();
  return a;
}
export const relu6 = (a: Tensor): Tensor => relu6Op.tensor(a, 0, 6);
export const leakyRelu = (a: Tensor, negativeSlope = 0.01): Tensor => leakyReluOp.tensor(a, negativeSlope);
export const elu = (a: Tensor, alpha = 1): Tensor => eluOp.tensor(a, alpha, 1, 1);
export const sigmoid = (a: Tensor): Tensor => sigmoidOp.tensor(a);
export const tanh = (a: Tensor): Tensor => tanhOp.tensor(a);
export const silu = (a: Tensor): Tensor => siluOp.tensor(a);
export const logSigmoid = (a: Tensor): Tensor => logSigmoidOp.tensor(a);
export const softmax = (a: Tensor, dim: number): Tensor => softmaxOp.tensor(a, dim, null);
export const logSoftmax = (a: Tensor, dim: number): Tensor => logSoftmaxOp.tensor(a, dim, null);

export type Reduction = 'none' | 'mean' | 'sum';
const REDUCTION: Record<Reduction, number> = { none: 0, mean: 1, sum: 2 };

/** Binary cross-entropy on logits, numerically stable, with optional per-element weight and pos_weight. */
export function binaryCrossEntropyWithLogits(
  logits: Tensor,
  target: Tensor,
  o: { weight?: Tensor | null; posWeight?: Tensor | null; reduction?: Reduction } = {},
): Tensor {
  return bceLogitsOp.tensor(logits, target, o.weight ?? null, o.posWeight ?? null, REDUCTION[o.reduction ?? 'mean']);
}

export const binaryCrossEntropy = (probabilities: Tensor, target: Tensor, reduction: Reduction = 'mean'): Tensor =>
  bceOp.tensor(probabilities, target, null, REDUCTION[reduction]);

export const mseLoss = (input: Tensor, target: Tensor, reduction: Reduction = 'mean'): Tensor =>
  mseOp.tensor(input, target, REDUCTION[reduction]);
