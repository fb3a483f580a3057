// Elementwise arithmetic, comparisons and unary functions, with broadcasting, through ATen.
import { op, type BoundOp } from '../dispatch.js';
import { Tensor } from '../tensor.js';

type Operand = Tensor | number;

/** One binary op with its Tensor and Scalar overloads, chosen by the right operand. */
function binary(name: string): (a: Tensor, b: Operand) => Tensor {
  const withTensor = op(`aten::${name}`, 'Tensor');
  const withScalar = op(`aten::${name}`, 'Scalar');
  return (a, b) => (b instanceof Tensor ? withTensor.tensor(a, b) : withScalar.tensor(a, b));
}

/** In-place forms return their first argument; the extra handle libtorch returns is dropped at once. */
function inPlace(bound: BoundOp, self: Tensor, ...rest: Parameters<BoundOp>): Tensor {
  bound.tensor(self, ...rest).dispose();
  return self;
}

export function add(a: Tensor, b: Operand, alpha = 1): Tensor {
  return b instanceof Tensor
    ? op('aten::add', 'Tensor').tensor(a, b, alpha)
    : op('aten::add', 'Scalar').tensor(a, b, alpha);
}
export function sub(a: Tensor, b: Operand, alpha = 1): Tensor {
  return b instanceof Tensor
    ? op('aten::sub', 'Tensor').tensor(a, b, alpha)
    : op('aten::sub', 'Scalar').tensor(a, b, alpha);
}
/** b - a for a scalar b (e.g. 1 - p). */
export function rsub(a: Tensor, b: number): Tensor {
  return op('aten::rsub', 'Scalar').tensor(a, b, 1);
}
export const mul = binary('mul');
export const div = binary('div');
export const remainder = binary('remainder');

export function pow(a: Tensor, exponent: Operand): Tensor {
  return exponent instanceof Tensor
    ? op('aten::pow', 'Tensor_Tensor').tensor(a, exponent)
    : op('aten::pow', 'Tensor_Scalar').tensor(a, exponent);
}

/** Comparisons: eq, ne, gt, ge, lt, le (bool results). */
export const [eq, ne, gt, ge, lt, le] = (['eq', 'ne', 'gt', 'ge', 'lt', 'le'] as const).map(binary);

export const maximum = (a: Tensor, b: Tensor): Tensor => op('aten::maximum').tensor(a, b);
export const minimum = (a: Tensor, b: Tensor): Tensor => op('aten::minimum').tensor(a, b);

export const logicalAnd = (a: Tensor, b: Tensor): Tensor => op('aten::logical_and').tensor(a, b);
export const logicalOr = (a: Tensor, b: Tensor): Tensor => op('aten::logical_or').tensor(a, b);
export const logicalNot = (a: Tensor): Tensor => op('aten::logical_not').tensor(a);

function unary(name: string): (a: Tensor) => Tensor {
  const bound = op(`aten::${name}`);
  return (a) => bound.tensor(a);
}
export const [neg, exp, log, log1p, sqrt, rsqrt, abs, sign, floor, round, reciprocal] = (
  ['neg', 'exp', 'log', 'log1p', 'sqrt', 'rsqrt', 'abs', 'sign', 'floor', 'round', 'reciprocal'] as const
).map(unary);

export function clamp(a: Tensor, min?: number | null, max?: number | null): Tensor {
  return op('aten::clamp').tensor(a, min ?? null, max ?? null);
}

export function where(condition: Tensor, a: Tensor, b: Tensor): Tensor {
  return op('aten::where', 'self').tensor(condition, a, b);
}

export const matmul = (a: Tensor, b: Tensor): Tensor => op('aten::matmul').tensor(a, b);

// In place, for optimizers and initialisation. Callers run them under noGrad on parameters.

export const add_ = (a: Tensor, b: Operand, alpha = 1): Tensor =>
  b instanceof Tensor
    ? inPlace(op('aten::add_', 'Tensor'), a, b, alpha)
    : inPlace(op('aten::add_', 'Scalar'), a, b, alpha);
export const sub_ = (a: Tensor, b: Tensor, alpha = 1): Tensor => inPlace(op('aten::sub_', 'Tensor'), a, b, alpha);
export const mul_ = (a: Tensor, b: Operand): Tensor =>
  b instanceof Tensor ? inPlace(op('aten::mul_', 'Tensor'), a, b) : inPlace(op('aten::mul_', 'Scalar'), a, b);
export const div_ = (a: Tensor, b: Operand): Tensor =>
  b instanceof Tensor ? inPlace(op('aten::div_', 'Tensor'), a, b) : inPlace(op('aten::div_', 'Scalar'), a, b);
/** a += value * t1 * t2 */
export const addcmul_ = (a: Tensor, t1: Tensor, t2: Tensor, value = 1): Tensor =>
  inPlace(op('aten::addcmul_'), a, t1, t2, value);
/** a += value * t1 / t2 */
export const addcdiv_ = (a: Tensor, t1: Tensor, t2: Tensor, value = 1): Tensor =>
  inPlace(op('aten::addcdiv_'), a, t1, t2, value);
/** a += weight * (end - a) */
export const lerp_ = (a: Tensor, end: Tensor, weight: number): Tensor =>
  inPlace(op('aten::lerp_', 'Scalar'), a, end, weight);
export const zero_ = (a: Tensor): Tensor => inPlace(op('aten::zero_'), a);
export const fill_ = (a: Tensor, value: number): Tensor => inPlace(op('aten::fill_', 'Scalar'), a, value);
export const clamp_ = (a: Tensor, min?: number | null, max?: number | null): Tensor =>
  inPlace(op('aten::clamp_'), a, min ?? null, max ?? null);
export const sqrt_ = (a: Tensor): Tensor => inPlace(op('aten::sqrt_'), a);
