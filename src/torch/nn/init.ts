// Parameter initialisation as PyTorch's layers do it by default (reset_parameters).
import { op } from '../dispatch.js';
import type { Tensor } from '../tensor.js';
import { noGrad } from '../grad-mode.js';

export function uniform_(t: Tensor, low: number, high: number): Tensor {
  noGrad(() => op('aten::uniform_').tensor(t, low, high, null).dispose());
  return t;
}

export function normal_(t: Tensor, mean = 0, std = 1): Tensor {
  noGrad(() => op('aten::normal_').tensor(t, mean, std, null).dispose());
  return t;
}

export function constant_(t: Tensor, value: number): Tensor {
  noGrad(() => op('aten::fill_', 'Scalar').tensor(t, value).dispose());
  return t;
}

/** fan_in and fan_out of a weight, as torch.nn.init._calculate_fan_in_and_fan_out. */
export function fans(shape: readonly number[]): { fanIn: number; fanOut: number } {
  if (shape.length < 2) throw new Error('fan in and fan out need a tensor with at least 2 dimensions');
  const receptive = shape.slice(2).reduce((a, b) => a * b, 1);
  return { fanIn: shape[1] * receptive, fanOut: shape[0] * receptive };
}

function gain(nonlinearity: 'relu' | 'leaky_relu' | 'linear' | 'sigmoid', a = 0): number {
  if (nonlinearity === 'relu') return Math.SQRT2;
  if (nonlinearity === 'leaky_relu') return Math.sqrt(2 / (1 + a * a));
  return 1;
}

type FanMode = 'fan_in' | 'fan_out';
/** The nonlinearities Kaiming initialisation is derived for. */
type Rectifier = 'relu' | 'leaky_relu';

const fanOf = (t: Tensor, mode: FanMode): number => {
  const f = fans(t.shape);
  return mode === 'fan_in' ? f.fanIn : f.fanOut;
};

export function kaimingUniform_(
  t: Tensor,
  a = 0,
  mode: FanMode = 'fan_in',
  nonlinearity: Rectifier = 'leaky_relu',
): Tensor {
  const bound = gain(nonlinearity, a) * Math.sqrt(3 / fanOf(t, mode));
  return uniform_(t, -bound, bound);
}

export function kaimingNormal_(
  t: Tensor,
  a = 0,
  mode: FanMode = 'fan_in',
  nonlinearity: Rectifier = 'leaky_relu',
): Tensor {
  return normal_(t, 0, gain(nonlinearity, a) / Math.sqrt(fanOf(t, mode)));
}

export function xavierUniform_(t: Tensor, g = 1): Tensor {
  const f = fans(t.shape);
  const bound = g * Math.sqrt(6 / (f.fanIn + f.fanOut));
  return uniform_(t, -bound, bound);
}

/** The default of Conv2d and Linear: kaiming_uniform_(a=sqrt(5)) for the weight, U(±1/sqrt(fan_in)) for the bias. */
export function defaultInit(weight: Tensor, bias: Tensor | null): void {
  kaimingUniform_(weight, Math.sqrt(5));
  if (bias) {
    const bound = 1 / Math.sqrt(fans(weight.shape).fanIn);
    uniform_(bias, -bound, bound);
  }
}
