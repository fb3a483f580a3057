// Tensors made from sizes and values, and seeded random tensors.
import { op } from '../dispatch.js';
import { native } from '../native.js';
import type { Tensor } from '../tensor.js';
import { DTYPE_CODE, type DType } from '../dtype.js';

type Shape = readonly number[];
export interface CreateOptions {
  dtype?: DType;
  device?: string;
}

const zerosOp = op('aten::zeros');
const onesOp = op('aten::ones');
const fullOp = op('aten::full');
const emptyOp = op('aten::empty', 'memory_format');
const randOp = op('aten::rand');
const randnOp = op('aten::randn');
const randintOp = op('aten::randint', 'low');
const arangeOp = op('aten::arange', 'start_step');
const eyeOp = op('aten::eye');
const zerosLikeOp = op('aten::zeros_like');
const onesLikeOp = op('aten::ones_like');
const fullLikeOp = op('aten::full_like');
const randpermOp = op('aten::randperm');

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

export const zeros = (shape: Shape, o?: CreateOptions): Tensor => zerosOp.tensor([...shape], ...factory(o));
export const ones = (shape: Shape, o?: CreateOptions): Tensor => onesOp.tensor([...shape], ...factory(o));
export const full = (shape: Shape, value: number, o?: CreateOptions): Tensor =>
  fullOp.tensor([...shape], value, ...factory(o));
export const empty = (shape: Shape, o?: CreateOptions): Tensor => emptyOp.tensor([...shape], ...factory(o), null);
/** Uniform in [0, 1), from libtorch's global generator (see manualSeed). */
export const rand = (shape: Shape, o?: CreateOptions): Tensor => randOp.tensor([...shape], ...factory(o));
export const randn = (shape: Shape, o?: CreateOptions): Tensor => randnOp.tensor([...shape], ...factory(o));
export const randint = (low: number, high: number, shape: Shape, o?: CreateOptions): Tensor =>
  randintOp.tensor(low, high, [...shape], ...factory({ dtype: 'int64', ...o }));
export const randperm = (n: number, o?: CreateOptions): Tensor =>
  randpermOp.tensor(n, ...factory({ dtype: 'int64', ...o }));
export const arange = (start: number, end: number, step = 1, o?: CreateOptions): Tensor =>
  arangeOp.tensor(start, end, step, ...factory(o));
export const eye = (n: number, o?: CreateOptions): Tensor => eyeOp.tensor(n, ...factory(o));
export const zerosLike = (a: Tensor, o?: CreateOptions): Tensor => zerosLikeOp.tensor(a, ...likeFactory(o));
export const onesLike = (a: Tensor, o?: CreateOptions): Tensor => onesLikeOp.tensor(a, ...likeFactory(o));
export const fullLike = (a: Tensor, value: number, o?: CreateOptions): Tensor =>
  fullLikeOp.tensor(a, value, ...likeFactory(o));

/** Seeds libtorch's global generator (initialisation, dropout, rand/randn). */
export function manualSeed(seed: number): void {
  native.manualSeed(seed);
}
