// The TypeScript face of one libtorch tensor (its fluent op methods are installed by tensor-methods.ts,
// so that this file does not import the ops that import it). Values live in native memory; `dispose()` or an enclosing
// `scope()` releases them deterministically (the garbage collector is only a backstop).
import { native, type NativeTensor } from './native.js';
import { track, untrack, type Disposable } from './scope.js';
import { dtypeFromCode, typedArrayFor, type AnyTypedArray, type DType } from './dtype.js';

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
    const converted = this.float();
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
}

/** How many native tensors are alive: the leak check of tests and long loops. */
export function liveTensors(): number {
  return native.liveTensors();
}
