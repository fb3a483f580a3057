// The fluent forms of the most used ops (`x.add(y)`), installed on Tensor's prototype once the ops
// exist. tensor.ts cannot import ops/ (they import Tensor), so the methods are declared here by
// declaration merging and attached at load time; torch/index.ts imports this module.
import { Tensor, type Shape } from './tensor.js';
import { DTYPE_CODE, type DType } from './dtype.js';
import * as math from './ops/math.js';
import * as reduce from './ops/reduce.js';
import * as shape from './ops/shape.js';
import * as functional from './ops/functional.js';

declare module './tensor.js' {
  interface Tensor {
    add(other: Tensor | number, alpha?: number): Tensor;
    sub(other: Tensor | number, alpha?: number): Tensor;
    mul(other: Tensor | number): Tensor;
    div(other: Tensor | number): Tensor;
    pow(exponent: Tensor | number): Tensor;
    neg(): Tensor;
    exp(): Tensor;
    log(): Tensor;
    sqrt(): Tensor;
    abs(): Tensor;
    sigmoid(): Tensor;
    relu(): Tensor;
    matmul(other: Tensor): Tensor;
    sum(dim?: number | number[], keepdim?: boolean): Tensor;
    mean(dim?: number | number[], keepdim?: boolean): Tensor;
    reshape(shape: Shape): Tensor;
    view(shape: Shape): Tensor;
    permute(dims: Shape): Tensor;
    transpose(dim0: number, dim1: number): Tensor;
    flatten(startDim?: number, endDim?: number): Tensor;
    squeeze(dim?: number): Tensor;
    unsqueeze(dim: number): Tensor;
    /** A dtype name converts the values; anything else names a device. */
    to(target: DType | string): Tensor;
    float(): Tensor;
    clone(): Tensor;
    contiguous(): Tensor;
  }
}

// Methods that pass the tensor as the first argument of the op of the same name, with its defaults.
const FORWARDED: readonly [module: Record<string, unknown>, names: readonly (keyof Tensor)[]][] = [
  [math, ['add', 'sub', 'mul', 'div', 'pow', 'neg', 'exp', 'log', 'sqrt', 'abs', 'matmul']],
  [functional, ['sigmoid', 'relu']],
  [reduce, ['sum', 'mean']],
  [shape, ['reshape', 'view', 'permute', 'transpose', 'flatten', 'squeeze', 'unsqueeze', 'clone', 'contiguous']],
];

const prototype = Tensor.prototype as unknown as Record<string, unknown>;
for (const [module, names] of FORWARDED)
  for (const name of names) {
    const fn = module[name] as (self: Tensor, ...rest: unknown[]) => Tensor;
    if (typeof fn !== 'function') throw new Error(`tensor-methods: no op named ${String(name)} to forward to`);
    prototype[name] = function (this: Tensor, ...rest: unknown[]): Tensor {
      return fn(this, ...rest);
    };
  }

const methods: ThisType<Tensor> & Partial<Tensor> = {
  to(target: DType | string) {
    return target in DTYPE_CODE ? shape.toDtype(this, target as DType) : shape.toDevice(this, target);
  },
  float() {
    return shape.toDtype(this, 'float32');
  },
};

Object.assign(Tensor.prototype, methods);
