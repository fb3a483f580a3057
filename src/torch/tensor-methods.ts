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

const methods: ThisType<Tensor> & Partial<Tensor> = {
  add(other: Tensor | number, alpha = 1) {
    return math.add(this, other, alpha);
  },
  sub(other: Tensor | number, alpha = 1) {
    return math.sub(this, other, alpha);
  },
  mul(other: Tensor | number) {
    return math.mul(this, other);
  },
  div(other: Tensor | number) {
    return math.div(this, other);
  },
  pow(exponent: Tensor | number) {
    return math.pow(this, exponent);
  },
  neg() {
    return math.neg(this);
  },
  exp() {
    return math.exp(this);
  },
  log() {
    return math.log(this);
  },
  sqrt() {
    return math.sqrt(this);
  },
  abs() {
    return math.abs(this);
  },
  sigmoid() {
    return functional.sigmoid(this);
  },
  relu() {
    return functional.relu(this);
  },
  matmul(other: Tensor) {
    return math.matmul(this, other);
  },
  sum(dim?: number | number[], keepdim = false) {
    return reduce.sum(this, dim, keepdim);
  },
  mean(dim?: number | number[], keepdim = false) {
    return reduce.mean(this, dim, keepdim);
  },
  reshape(dims: Shape) {
    return shape.reshape(this, dims);
  },
  view(dims: Shape) {
    return shape.view(this, dims);
  },
  permute(dims: Shape) {
    return shape.permute(this, dims);
  },
  transpose(dim0: number, dim1: number) {
    return shape.transpose(this, dim0, dim1);
  },
  flatten(startDim = 0, endDim = -1) {
    return shape.flatten(this, startDim, endDim);
  },
  squeeze(dim?: number) {
    return shape.squeeze(this, dim);
  },
  unsqueeze(dim: number) {
    return shape.unsqueeze(this, dim);
  },
  to(target: DType | string) {
    return target in DTYPE_CODE ? shape.toDtype(this, target as DType) : shape.toDevice(this, target);
  },
  float() {
    return shape.toDtype(this, 'float32');
  },
  clone() {
    return shape.clone(this);
  },
  contiguous() {
    return shape.contiguous(this);
  },
};

Object.assign(Tensor.prototype, methods);
