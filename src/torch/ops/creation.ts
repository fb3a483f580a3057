// Tensors made from sizes and values, and seeded random tensors.
import { op } from '../dispatch.js';
import { native } from '../native.js';
import { Tensor, type Shape } from '../tensor.js';
import { toDtype } from './shape.js';
import { BYTES_PER_ELEMENT, DTYPE_CODE, dtypeOfArray, type DType } from '../dtype.js';

export interface CreateOptions {
  dtype?: DType;
  device?: string;
}

// The trailing arguments shared by factory schemas: dtype, layout, device, pin_memory.
const factory = (o: CreateOptions = {}) => [
  o.dtype ? DTYPE_CODE[o.dtype] : DTYPE_CODE.float32,
  null,
  o.device ?? null,
  null,
];
const likeFactory = (o: CreateOptions = {}) => [
  o.dtype ? DTYPE_CODE[o.dtype] : null,
  null,
  o.device ?? null,
  null,
  null,
];

export const zeros = (shape: Shape, o?: CreateOptions): Tensor => op('aten::zeros').tensor([...shape], ...factory(o));
export const ones = (shape: Shape, o?: CreateOptions): Tensor => op('aten::ones').tensor([...shape], ...factory(o));
export const full = (shape: Shape, value: number, o?: CreateOptions): Tensor =>
  op('aten::full').tensor([...shape], value, ...factory(o));
export const empty = (shape: Shape, o?: CreateOptions): Tensor =>
  op('aten::empty', 'memory_format').tensor([...shape], ...factory(o), null);
/** Uniform in [0, 1), from libtorch's global generator (see manualSeed). */
export const rand = (shape: Shape, o?: CreateOptions): Tensor => op('aten::rand').tensor([...shape], ...factory(o));
export const randn = (shape: Shape, o?: CreateOptions): Tensor => op('aten::randn').tensor([...shape], ...factory(o));
export const randint = (low: number, high: number, shape: Shape, o?: CreateOptions): Tensor =>
  op('aten::randint', 'low').tensor(low, high, [...shape], ...factory({ dtype: 'int64', ...o }));
export const randperm = (n: number, o?: CreateOptions): Tensor =>
  op('aten::randperm').tensor(n, ...factory({ dtype: 'int64', ...o }));
export const arange = (start: number, end: number, step = 1, o?: CreateOptions): Tensor =>
  op('aten::arange', 'start_step').tensor(start, end, step, ...factory(o));
export const eye = (n: number, o?: CreateOptions): Tensor => op('aten::eye').tensor(n, ...factory(o));
export const zerosLike = (a: Tensor, o?: CreateOptions): Tensor => op('aten::zeros_like').tensor(a, ...likeFactory(o));
export const onesLike = (a: Tensor, o?: CreateOptions): Tensor => op('aten::ones_like').tensor(a, ...likeFactory(o));
export const fullLike = (a: Tensor, value: number, o?: CreateOptions): Tensor =>
  op('aten::full_like').tensor(a, value, ...likeFactory(o));

/** Seeds libtorch's global generator (initialisation, dropout, rand/randn). */
export function manualSeed(seed: number): void {
  native.manualSeed(seed);
}

/**
 * A tensor holding a copy of the given values. A typed array keeps its own dtype unless another is
 * given; half-precision dtypes take their raw 16-bit patterns in a Uint16Array, bool a Uint8Array.
 */
export function tensor(data: ArrayBufferView | number[] | number, shape?: Shape, dtype?: DType): Tensor {
  const values: ArrayBufferView =
    typeof data === 'number' ? new Float32Array([data]) : Array.isArray(data) ? new Float32Array(data) : data;
  const raw =
    (values instanceof Uint16Array && (dtype === 'float16' || dtype === 'bfloat16')) ||
    (values instanceof Uint8Array && dtype === 'bool');
  const natural = raw ? (dtype as DType) : dtypeOfArray(values);
  const count = values.byteLength / BYTES_PER_ELEMENT[natural];
  const dims = shape ?? (typeof data === 'number' ? [] : [count]);
  if (dims.reduce((a, b) => a * b, 1) !== count)
    throw new Error(`tensor(): ${count} values do not fill shape [${dims.join(', ')}]`);
  const made = new Tensor(native.fromBuffer(values, DTYPE_CODE[natural], [...dims]));
  if (dtype === undefined || dtype === natural) return made;
  try {
    return toDtype(made, dtype);
  } finally {
    made.dispose();
  }
}
