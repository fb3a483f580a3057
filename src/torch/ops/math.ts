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

const addT = op('aten::add', 'Tensor');
const addS = op('aten::add', 'Scalar');
const subT = op('aten::sub', 'Tensor');
const subS = op('aten::sub', 'Scalar');
const rsubS = op('aten::rsub', 'Scalar');

export function add(a: Tensor, b: Operand, alpha = 1): Tensor {
  return b instanceof Tensor ? addT.tensor(a, b, alpha) : addS.tensor(a, b, alpha);
}
export function sub(a: Tensor, b: Operand, alpha = 1): Tensor {
  return b instanceof Tensor ? subT.tensor(a, b, alpha) : subS.tensor(a, b, alpha);
}
/** b - a for a scalar b (e.g. 1 - p). */
export function rsub(a: Tensor, b: number): Tensor {
  return rsubS.tensor(a, b, 1);
}
export const mul = binary('mul');
export const div = binary('div');
export const remainder = binary('remainder');

const powT = op('aten::pow', 'Tensor_Tensor');
const powS = op('aten::pow', 'Tensor_Scalar');
export function pow(a: Tensor, exponent: Operand): Tensor {
  return exponent instanceof Tensor ? powT.tensor(a, exponent) : powS.tensor(a, exponent);
}

export const eq = binary('eq');
export const ne = binary('ne');
export const gt = binary('gt');
export const ge = binary('ge');
export const lt = binary('lt');
export const le = binary('le');

const maximumOp = op('aten::maximum');
const minimumOp = op('aten::minimum');
export const maximum = (a: Tensor, b: Tensor): Tensor => maximumOp.tensor(a, b);
export const minimum = (a: Tensor, b: Tensor): Tensor => minimumOp.tensor(a, b);

const logicalAndOp = op('aten::logical_and');
const logicalOrOp = op('aten::logical_or');
const logicalNotOp = op('aten::logical_not');
export const logicalAnd = (a: Tensor, b: Tensor): Tensor => logicalAndOp.tensor(a, b);
export const logicalOr = (a: Tensor, b: Tensor): Tensor => logicalOrOp.tensor(a, b);
export const logicalNot = (a: Tensor): Tensor => logicalNotOp.tensor(a);

function unary(name: string): (a: Tensor) => Tensor {
  const bound = op(`aten::${name}`);
  return (a) => bound.tensor(a);
}
export const neg = unary('neg');
export const exp = unary('exp');
export const log = unary('log');
export const log1p = unary('log1p');
export const sqrt = unary('sqrt');
export const rsqrt = unary('rsqrt');
export const abs = unary('abs');
export const sign = unary('sign');
export const floor = unary('floor');
export const round = unary('round');
export const reciprocal = unary('reciprocal');

const clampOp = op('aten::clamp');
export function clamp(a: Tensor, min?: number | null, max?: number | null): Tensor {
  return clampOp.tensor(a, min ?? null, max ?? null);
}

const whereOp = op('aten::where', 'self');
export function where(condition: Tensor, a: Tensor, b: Tensor): Tensor {
  return whereOp.tensor(condition, a, b);
}

const matmulOp = op('aten::matmul');
export const matmul = (a: Tensor, b: Tensor): Tensor => matmulOp.tensor(a, b);

// In place, for optimizers and initialisation. Callers run them under noGrad on parameters.
const addInT = op('aten::add_', 'Tensor');
const addInS = op('aten::add_', 'Scalar');
const subInT = op('aten::sub_', 'Tensor');
const mulInT = op('aten::mul_', 'Tensor');
const mulInS = op('aten::mul_', 'Scalar');
const divInT = op('aten::div_', 'Tensor');
const divInS = op('aten::div_', 'Scalar');
const addcmulIn = op('aten::addcmul_');
const addcdivIn = op('aten::addcdiv_');
const lerpIn = op('aten::lerp_', 'Scalar');
const zeroIn = op('aten::zero_');
const fillIn = op('aten::fill_', 'Scalar');
const clampIn = op('aten::clamp_');
const sqrtIn = op('aten::sqrt_');

export const add_ = (a: Tensor, b: Operand, alpha = 1): Tensor =>
  b instanceof Tensor ? inPlace(addInT, a, b, alpha) : inPlace(addInS, a, b, alpha);
export const sub_ = (a: Tensor, b: Tensor, alpha = 1): Tensor => inPlace(subInT, a, b, alpha);
export const mul_ = (a: Tensor, b: Operand): Tensor =>
  b instanceof Tensor ? inPlace(mulInT, a, b) : inPlace(mulInS, a, b);
export const div_ = (a: Tensor, b: Operand): Tensor =>
  b instanceof Tensor ? inPlace(divInT, a, b) : inPlace(divInS, a, b);
/** a += value * t1 * t2 */
export const addcmul_ = (a: Tensor, t1: Tensor, t2: Tensor, value = 1): Tensor => inPlace(addcmulIn, a, t1, t2, value);
/** a += value * t1 / t2 */
export const addcdiv_ = (a: Tensor, t1: Tensor, t2: Tensor, value = 1): Tensor => inPlace(addcdivIn, a, t1, t2, value);
/** a += weight * (end - a) */
export const lerp_ = (a: Tensor, end: Tensor, weight: number): Tensor => inPlace(lerpIn, a, end, weight);
export const zero_ = (a: Tensor): Tensor => inPlace(zeroIn, a);
export const fill_ = (a: Tensor, value: number): Tensor => inPlace(fillIn, a, value);
export const clamp_ = (a: Tensor, min?: number | null, max?: number | null): Tensor =>
  inPlace(clampIn, a, min ?? null, max ?? null);
export const sqrt_ = (a: Tensor): Tensor => inPlace(sqrtIn, a);
