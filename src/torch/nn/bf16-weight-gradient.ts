// oneDNN in libtorch 1.13 (PyTorch 1.13 alike, checked with python3-torch) gives wrong bf16 weight
// gradients (far off, inf or NaN) for stride-1 3x3 convolutions over some planes: small planes are
// always right, larger ones right or wrong by size, whatever the channels or batch; 1x1 kernels and
// stride 2 are right. Without a guard, bf16 training at 384 px fails on its first step. The sweep
// that found the sizes is in docs/measurements.md.
//
// Which sizes fail depends on oneDNN's blocking, so it may differ with the thread count or the CPU:
// instead of a fixed list, a plane and kernel above the always-right size is checked once on this
// machine (a small 8-channel convolution's weight gradient in bf16 against float32), and the layers
// whose check fails run in float32 while gradients are recorded.
import { autocast, autocastState, isInferenceMode } from '../autocast.js';
import { isGradEnabled } from '../grad-mode.js';
import { tensor } from '../ops/creation.js';
import { conv2d, type ConvOptions } from '../ops/functional.js';
import { scope } from '../scope.js';
import type { Tensor } from '../tensor.js';

/** Planes up to this many pixels were right at every size of the sweep. */
const ALWAYS_RIGHT_PLANE = 225 * 225;
/** Well above bf16's error on a right gradient and well below a wrong one's (figures in docs/measurements.md). */
const TOLERANCE = 0.05;
const PROBE_CHANNELS = 8;

type Pair = [number, number];
const verdicts = new Map<string, boolean>();

function pseudoRandom(count: number, seed: number): Float32Array {
  // A fixed sequence, so the check does not draw from the engine's generator (training stays reproducible).
  const out = new Float32Array(count);
  let s = seed >>> 0;
  for (let i = 0; i < count; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = s / 4294967296;
  }
  return out;
}

function bf16GradientIsRight(
  h: number,
  w: number,
  kernel: Pair,
  options: Required<Omit<ConvOptions, 'groups'>>,
): boolean {
  return scope(() => {
    const c = PROBE_CHANNELS;
    const input = tensor(pseudoRandom(c * h * w, 1), [1, c, h, w]);
    const weight = tensor(
      pseudoRandom(c * c * kernel[0] * kernel[1], 2).map((v) => v - 0.5),
      [c, c, kernel[0], kernel[1]],
    );
    weight.requiresGrad = true;
    const gradient = (lowPrecision: boolean): Float32Array => {
      weight.zeroGrad();
      const run = () => conv2d(input, weight, null, options);
      const output = autocast('bfloat16', run, { enabled: lowPrecision });
      output.float().mean().backward();
      return weight.grad!.toFloat32Array();
    };
    const full = gradient(false);
    const low = gradient(true);
    return low.every((v, i) => Math.abs(v - full[i]) <= TOLERANCE * Math.max(Math.abs(full[i]), 1e-6));
  });
}

/**
 * Whether this convolution must run in float32 now: gradients are recorded under CPU bf16 autocast and
 * oneDNN's bf16 weight gradient was found wrong for its plane and kernel on this machine.
 */
export function needsFloat32WeightGradient(input: Tensor, weight: Tensor, options: Required<ConvOptions>): boolean {
  const [h, w] = input.shape.slice(-2);
  if (h * w <= ALWAYS_RIGHT_PLANE) return false;
  if (!weight.requiresGrad || isInferenceMode() || !isGradEnabled()) return false;
  const state = autocastState('cpu');
  if (!state.enabled || state.dtype !== 'bfloat16') return false;
  const kernel = weight.shape.slice(-2) as Pair;
  const { stride, padding, dilation } = options;
  const key = JSON.stringify([h, w, kernel, stride, padding, dilation]);
  let right = verdicts.get(key);
  if (right === undefined) {
    right = bf16GradientIsRight(h, w, kernel, { stride, padding, dilation });
    verdicts.set(key, right);
  }
  return !right;
}
