// The precision a command computes in: fp32, or mixed precision where convolutions and matrix
// products run in bf16 or fp16 under autocast while batch norm statistics, losses and metrics stay in
// fp32. fp16 needs CUDA (libtorch 1.13 has no CPU fp16 autocast, and fp16 training needs loss scaling).
import { autocast, type LowPrecision } from './autocast.js';
import { isCuda } from './device.js';
import { Tensor } from './tensor.js';

import { PRECISIONS, type Precision } from './compute-names.js';

export { PRECISIONS, type Precision };

export class PrecisionError extends Error {
  override name = 'PrecisionError';
}

export function parsePrecision(value: string): Precision {
  if (!(PRECISIONS as readonly string[]).includes(value))
    throw new PrecisionError(`expected one of ${PRECISIONS.join(', ')}, got "${value}"`);
  return value as Precision;
}

/** Refuses a precision the device cannot run (fp16 on CPU). */
export function checkPrecision(precision: Precision, device: string): void {
  if (precision === 'fp16' && !isCuda(device))
    throw new PrecisionError(`--precision fp16 needs a CUDA device (this run is on ${device}); use bf16 on CPU`);
}

export const LOW_PRECISION_DTYPE: Record<Exclude<Precision, 'fp32'>, LowPrecision> = {
  bf16: 'bfloat16',
  fp16: 'float16',
};

/** Runs fn in the given precision on the given device: plain for fp32, under autocast otherwise. */
export function withPrecision<T>(precision: Precision, device: string, fn: () => T): T {
  if (precision === 'fp32') return fn();
  checkPrecision(precision, device);
  return autocast(LOW_PRECISION_DTYPE[precision], fn, { device: isCuda(device) ? 'cuda' : 'cpu' });
}

/** A model output (a tensor, or an object or array of them) with every floating tensor in float32. */
export function toFloat32<T>(output: T): T {
  if (output === null || typeof output !== 'object') return output;
  if (output instanceof Tensor)
    return (output.dtype === 'bfloat16' || output.dtype === 'float16' ? output.float() : output) as T;
  if (Array.isArray(output)) return output.map((v) => toFloat32(v)) as unknown as T;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(output as Record<string, unknown>)) out[k] = toFloat32(v);
  return out as T;
}
