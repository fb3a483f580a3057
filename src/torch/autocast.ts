// Mixed precision and inference mode, per thread as in libtorch: the state set here applies to the
// calling JS thread only (a worker has its own). Region entry and exit follow PyTorch's
// torch.autocast: nested regions restore the state they found, and the cache of low-precision weight
// copies is cleared when the outermost region ends, so a weight updated between steps is re-cast.
import { native } from './native.js';
import { DTYPE_CODE, dtypeFromCode, type DType } from './dtype.js';

export type AutocastDevice = 'cpu' | 'cuda';
export type LowPrecision = 'bfloat16' | 'float16';

export interface AutocastOptions {
  /** The device type whose ops are cast; 'cpu' by default. */
  device?: AutocastDevice;
  /** false runs fn with autocast off (a full-precision island inside a region). */
  enabled?: boolean;
}

function rejectPromise(result: unknown, what: string): void {
  if (result instanceof Promise) throw new TypeError(`${what} takes a synchronous function`);
}

/**
 * Runs fn with autocast: convolutions, linear layers and matrix products in `dtype`; ops that need
 * the range (losses such as binary_cross_entropy_with_logits, softmax, norms) in float32, as listed by
 * libtorch. On CPU only bfloat16 is supported (libtorch 1.13 has no CPU float16 autocast).
 */
export function autocast<T>(dtype: LowPrecision, fn: () => T, options: AutocastOptions = {}): T {
  const device = options.device ?? 'cpu';
  if (device === 'cpu' && dtype !== 'bfloat16')
    throw new Error(`CPU autocast supports bfloat16 only, not ${dtype} (float16 needs a CUDA device)`);
  const previous = native.autocastState(device);
  native.setAutocast(device, options.enabled ?? true, DTYPE_CODE[dtype]);
  native.autocastIncrementNesting();
  try {
    const result = fn();
    rejectPromise(result, 'autocast()');
    return result;
  } finally {
    if (native.autocastDecrementNesting() === 0) native.autocastClearCache();
    native.setAutocast(device, previous.enabled, previous.dtype);
  }
}

/** Whether autocast is on for a device type in this thread, and its dtype. */
export function autocastState(device: AutocastDevice = 'cpu'): { enabled: boolean; dtype: DType } {
  const state = native.autocastState(device);
  return { enabled: state.enabled, dtype: dtypeFromCode(state.dtype) };
}

/**
 * Runs fn under c10::InferenceMode: no autograd recording and no version counting, a little cheaper
 * than noGrad. Tensors made inside are inference tensors: they cannot later enter autograd or be
 * updated in place outside inference mode, so use it only where nothing made inside is trained.
 */
export function inferenceMode<T>(fn: () => T): T {
  return native.inferenceMode(() => {
    const result = fn();
    rejectPromise(result, 'inferenceMode()');
    return result;
  });
}

export function isInferenceMode(): boolean {
  return native.isInferenceMode();
}
