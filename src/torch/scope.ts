// Deterministic release of native tensors. V8 does not see libtorch's memory, so finalizers would run
// late or never: every tensor made inside scope(fn) is disposed when fn returns, except those that
// fn returns (found anywhere in arrays, plain objects or Maps of the result), which move to the
// enclosing scope.

export interface Disposable {
  dispose(): void;
  readonly isDisposed: boolean;
}

const stack: Set<Disposable>[] = [];

export function track(item: Disposable): void {
  if (stack.length > 0) stack[stack.length - 1].add(item);
}

/** Removes a tensor from the scope it was made in, so that it outlives it (parameters, state). */
export function untrack(item: Disposable): void {
  for (let i = stack.length - 1; i >= 0; i--) if (stack[i].delete(item)) return;
}

function collect(value: unknown, into: Set<Disposable>, seen: Set<object>): void {
  if (value === null || typeof value !== 'object' || seen.has(value)) return;
  seen.add(value);
  if (typeof (value as Disposable).dispose === 'function' && 'isDisposed' in (value as object)) {
    into.add(value as Disposable);
    return;
  }
  if (Array.isArray(value)) for (const v of value) collect(v, into, seen);
  else if (value instanceof Map) for (const v of value.values()) collect(v, into, seen);
  else if (Object.getPrototypeOf(value) === Object.prototype)
    for (const v of Object.values(value)) collect(v, into, seen);
}

/** Runs a synchronous fn and disposes every tensor it made except the ones it returns. */
export function scope<T>(fn: () => T): T {
  if (typeof fn !== 'function') throw new TypeError('scope() expects a function');
  const made = new Set<Disposable>();
  stack.push(made);
  let result: T;
  try {
    result = fn();
    if (result instanceof Promise) throw new TypeError('scope() takes a synchronous function; await outside it');
  } catch (err) {
    stack.pop();
    for (const t of made) t.dispose();
    throw err;
  }
  stack.pop();
  const kept = new Set<Disposable>();
  collect(result, kept, new Set());
  for (const t of made) {
    if (kept.has(t)) track(t);
    else t.dispose();
  }
  return result;
}
