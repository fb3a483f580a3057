// Grad mode is per thread in libtorch; these guards act on the JS thread, where all ops run.
import { native } from './native.js';

function withGradEnabled<T>(on: boolean, fn: () => T): T {
  const previous = native.setGradEnabled(on);
  try {
    const result = fn();
    if (result instanceof Promise) throw new TypeError('noGrad()/enableGrad() take a synchronous function');
    return result;
  } finally {
    native.setGradEnabled(previous);
  }
}

/** Runs fn without recording autograd history (evaluation, optimizer updates). */
export const noGrad = <T>(fn: () => T): T => withGradEnabled(false, fn);
export const enableGrad = <T>(fn: () => T): T => withGradEnabled(true, fn);

/** Whether ops on this thread record autograd history now. */
export function isGradEnabled(): boolean {
  const on = native.setGradEnabled(true);
  native.setGradEnabled(on);
  return on;
}

/** The engine's compute threads now (PNEUMO_THREADS or every core, unless a command set them). */
export function getNumThreads(): number {
  return native.info().threads;
}

export function setNumThreads(n: number): void {
  if (!Number.isInteger(n) || n < 1) throw new Error(`Expected positive integer for threads but received ${n}`);
  native.setNumThreads(n);
}
