// The TypeScript face of one libtorch tensor. Values live in native memory; `dispose()` or an enclosing
// `scope()` releases them deterministically (the garbage collector is only a backstop).
import { native, type NativeTensor } from './native.js';
import { track, untrack, type Disposable } from './scope.js';
import {
  BYTES_PER_ELEMENT,
  DTYPE_CODE,
  dtypeFromCode,
  dtypeOfArray,
  typedArrayFor,
  type AnyTypedArray,
  type DType,
} from './dtype.js';
import * as ops from './ops/index.js';

export type Shape = readonly number[];

export class Tensor implements Disposable {
  #handle: NativeTensor;

  constructor(handle: NativeTensor) {
    this.#handle = handle;
    track(this);
  }

  /** The native handle, for src/torch internals only. */
  get handle(): NativeTensor {
    if (this.#handle.isDisposed()) throw new Error('tensor used after dispose()');
    return this.#handle;
  }

  get isDisposed(): boolean {
    return this.#handle.isDisposed();
  }

  dispose(): void {
    this.#handle.dispose();
    untrack(this);
  }

  /** Keeps this tensor alive past the enclosing scope (model parameters, optimizer state). */
  keep(): this {
    untrack(this);
    return this;
  }

  get shape(): number[] {
    return this.handle.shape();
  }

  get ndim(): number {
    return this.shape.length;
  }

  get numel(): number {
    return this.shape.reduce((a, b) => a * b, 1);
  }

  get dtype(): DType {
    return dtypeFromCode(this.handle.dtype());
  }

  get device(): string {
    return this.handle.device();
  }

  get requiresGrad(): boolean {
    return this.handle.requiresGrad();
  }

  set requiresGrad(on: boolean) {
    this.handle.setRequiresGrad(on);
  }

  requiresGrad_(on = true): this {
    this.handle.setRequiresGrad(on);
    return this;
  }

  /** The accumulated gradient (a new handle on it, owned by the current scope), or null. */
  get grad(): Tensor | null {
    const g = this.handle.grad();
    return g ? new Tensor(g) : null;
  }

  /** Drops the gradient (PyTorch's zero_grad(set_to_none=True)). */
  zeroGrad(): void {
    this.handle.zeroGrad();
  }

  backward(gradient?: Tensor, retainGraph = false): void {
    this.handle.backward(gradient?.handle, retainGraph);
  }

  /** The single value of a one-element tensor. */
  item(): number {
    return Number(this.handle.item());
  }

  /** A copy of the elements in row-major order, in the typed array of the dtype. */
  data(): AnyTypedArray {
    return typedArrayFor(this.dtype, this.handle.toBuffer());
  }

  /** A copy of the elements as float32 (converting when needed). */
  toFloat32Array(): Float32Array {
    if (this.dtype === 'float32') return new Float32Array(this.handle.toBuffer());
    const converted = ops.toDtype(this, 'float32');
    try {
      return new Float32Array(converted.handle.toBuffer());
    } finally {
      converted.dispose();
    }
  }

  /** Nested arrays, for tests and small tensors. */
  toArray(): unknown {
    const flat = Array.from(this.toFloat32ArrayOrBig(), (v) => (typeof v === 'bigint' ? Number(v) : v));
    const shape = this.shape;
    if (shape.length === 0) return flat[0];
    const build = (dim: number, offset: number): unknown[] => {
      const size = shape[dim];
      const stride = shape.slice(dim + 1).reduce((a, b) => a * b, 1);
      return Array.from({ length: size }, (_, i) =>
        dim === shape.length - 1 ? flat[offset + i] : build(dim + 1, offset + i * stride),
      );
    };
    return build(0, 0);
  }

  private toFloat32ArrayOrBig(): ArrayLike<number | bigint> {
    return this.dtype === 'int64' ? (this.data() as BigInt64Array) : this.toFloat32Array();
  }

  /** Overwrites the values in place, outside autograd (loading weights, optimizer updates). */
  copy_(source: Tensor): this {
    this.handle.copyFrom(source.handle);
    return this;
  }

  detach(): Tensor {
    return new Tensor(this.handle.detach());
  }

  toString(): string {
    return `Tensor(shape=[${this.shape.join(', ')}], dtype=${this.dtype}, device=${this.device}${this.requiresGrad ? ', requiresGrad' : ''})`;
  }

  // Fluent forms of the most used ops; the functions in ops/ are the full set.
  add(other: Tensor | number, alpha = 1): Tensor {
    return ops.add(this, other, alpha);
  }
  sub(other: Tensor | number, alpha = 1): Tensor {
    return ops.sub(this, other, alpha);
  }
  mul(other: Tensor | number): Tensor {
    return ops.mul(this, other);
  }
  div(other: Tensor | number): Tensor {
    return ops.div(this, other);
  }
  pow(exponent: Tensor | number): Tensor {
    return ops.pow(this, exponent);
  }
  neg(): Tensor {
    return ops.neg(this);
  }
  exp(): Tensor {
    return ops.exp(this);
  }
  log(): Tensor {
    return ops.log(this);
  }
  sqrt(): Tensor {
    return ops.sqrt(this);
  }
  abs(): Tensor {
    return ops.abs(this);
  }
  sigmoid(): Tensor {
    return ops.sigmoid(this);
  }
  relu(): Tensor {
    return ops.relu(this);
  }
  matmul(other: Tensor): Tensor {
    return ops.matmul(this, other);
  }
  sum(dim?: number | number[], keepdim = false): Tensor {
    return ops.sum(this, dim, keepdim);
  }
  mean(dim?: number | number[], keepdim = false): Tensor {
    return ops.mean(this, dim, keepdim);
  }
  reshape(shape: Shape): Tensor {
    return ops.reshape(this, shape);
  }
  view(shape: Shape): Tensor {
    return ops.view(this, shape);
  }
  permute(dims: Shape): Tensor {
    return ops.permute(this, dims);
  }
  transpose(dim0: number, dim1: number): Tensor {
    return ops.transpose(this, dim0, dim1);
  }
  flatten(startDim = 0, endDim = -1): Tensor {
    return ops.flatten(this, startDim, endDim);
  }
  squeeze(dim?: number): Tensor {
    return ops.squeeze(this, dim);
  }
  unsqueeze(dim: number): Tensor {
    return ops.unsqueeze(this, dim);
  }
  to(target: DType | string): Tensor {
    return target in DTYPE_CODE ? ops.toDtype(this, target as DType) : ops.toDevice(this, target);
  }
  float(): Tensor {
    return ops.toDtype(this, 'float32');
  }
  clone(): Tensor {
    return ops.clone(this);
  }
  contiguous(): Tensor {
    return ops.contiguous(this);
  }
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
    return ops.toDtype(made, dtype);
  } finally {
    made.dispose();
  }
}

/** How many native tensors are alive: the leak check of tests and long loops. */
export function liveTensors(): number {
  return native.liveTensors();
}
