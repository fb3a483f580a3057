// Binds an ATen operator by schema name once; calling it converts Tensors to native handles and wraps
// native results back into Tensors (owned by the current scope).
import { native, type NativeArg, type NativeResult, type NativeTensor } from './native.js';
import { Tensor } from './tensor.js';

export type OpArg = Tensor | number | boolean | string | null | undefined | readonly OpArg[];

function toNative(arg: OpArg): NativeArg {
  if (arg instanceof Tensor) return arg.handle;
  if (Array.isArray(arg)) return arg.map(toNative);
  return arg as NativeArg;
}

function isNativeTensor(value: NativeResult): value is NativeTensor {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

export type OpResult = Tensor | number | boolean | null | OpResult[];

function wrap(value: NativeResult): OpResult {
  if (Array.isArray(value)) return value.map(wrap);
  if (isNativeTensor(value)) return new Tensor(value);
  return value;
}

/** Sees every op call with its arguments and result (ONNX export traces a forward through this). */
export type OpObserver = (name: string, overload: string, args: readonly OpArg[], result: OpResult) => void;

let observer: OpObserver | null = null;

/** Runs fn with every op call reported to `watch`; calls do not nest. */
export function observeOps<T>(watch: OpObserver, fn: () => T): T {
  if (observer) throw new Error('observeOps: another observer is active');
  observer = watch;
  try {
    return fn();
  } finally {
    observer = null;
  }
}

export interface BoundOp {
  (...args: OpArg[]): OpResult;
  /** Calls the op and checks that it returned one tensor. */
  tensor(...args: OpArg[]): Tensor;
  /** Calls the op and checks that it returned several tensors. */
  tensors(...args: OpArg[]): Tensor[];
  /** The schema, for error messages and documentation. */
  schema(): string;
}

const bound = new Map<string, BoundOp>();

/**
 * The ATen operator `name.overload`, bound on first use and kept: wrappers call `op('aten::relu')`
 * where they use it, so each one reads as the ATen op it forwards to.
 */
export function op(name: string, overload = ''): BoundOp {
  const key = `${name}.${overload}`;
  let found = bound.get(key);
  if (!found) bound.set(key, (found = bindOp(name, overload)));
  return found;
}

function bindOp(name: string, overload: string): BoundOp {
  let handle = -1;
  const resolve = (): number => {
    if (handle < 0) handle = native.findOp(name, overload);
    return handle;
  };
  const call = (...args: OpArg[]): OpResult => {
    const result = wrap(native.callOp(resolve(), args.map(toNative)));
    observer?.(name, overload, args, result);
    return result;
  };
  const bound = call as BoundOp;
  bound.tensor = (...args) => {
    const r = call(...args);
    if (!(r instanceof Tensor)) throw new Error(`${name}: expected a tensor result`);
    return r;
  };
  bound.tensors = (...args) => {
    const r = call(...args);
    if (!Array.isArray(r) || !r.every((t) => t instanceof Tensor)) throw new Error(`${name}: expected tensor results`);
    return r as Tensor[];
  };
  bound.schema = () => native.opSchema(resolve());
  return bound;
}
