// Batch normalisation with statistics over every rank's batch (torch.nn.SyncBatchNorm), on any device:
// PyTorch 1.13's own is CUDA-only. Each rank reduces its batch to per-channel sums, one differentiable
// all-reduce (native: its backward all-reduces the gradient) adds them over the ranks, and the input is
// normalised with the global mean and variance. Autograd differentiates the composition, which gives
// SyncBatchNorm's backward: the per-channel sums of grad and grad * x_hat end up all-reduced too.
import { noGrad } from '../grad-mode.js';
import { scope } from '../scope.js';
import type { Tensor } from '../tensor.js';
import { tensor } from '../ops/creation.js';
import { add, add_, div, mul, mul_, neg, rsqrt, sub } from '../ops/math.js';
import { varMean } from '../ops/reduce.js';
import { cat, narrow, toDtype, view } from '../ops/shape.js';

/** What sync batch norm needs of a process group (src/torch/distributed's ProcessGroup has it). */
export interface BatchStatsGroup {
  readonly worldSize: number;
  /** The sum over the ranks, as a new tensor whose backward all-reduces the gradient. */
  allReduceWithGrad(t: Tensor): Tensor;
}

export interface SyncBatchNormArgs {
  runningMean: Tensor | null;
  runningVar: Tensor | null;
  weight: Tensor | null;
  bias: Tensor | null;
  momentum: number;
  eps: number;
}

/**
 * Training-mode batch norm of `input` (N, C, ...) over the union of every rank's batch; updates the
 * running statistics with the global mean and the global unbiased variance, as PyTorch does.
 */
export function syncBatchNorm(input: Tensor, group: BatchStatsGroup, a: SyncBatchNormArgs): Tensor {
  const channels = input.shape[1];
  const reduced = input.shape.map((_, i) => i).filter((i) => i !== 1);
  const count = input.numel / channels;
  return scope(() => {
    // Each rank's own mean and variance are exact (one Welford pass); their combination into sums of
    // x and x^2 runs in float64, where subtracting the squared mean loses nothing that matters.
    // Under bf16/fp16 autocast the statistics are still taken in float32, as ATen's batch norm does.
    const wide = input.dtype === 'float32' || input.dtype === 'float64' ? input : toDtype(input, 'float32');
    const local = varMean(wide, reduced, false);
    const localMean = toDtype(local.mean, 'float64');
    const sums = cat([
      mul(localMean, count),
      mul(add(toDtype(local.variance, 'float64'), mul(localMean, localMean)), count),
      tensor(Float64Array.of(count), [1]),
    ]);
    const all = group.allReduceWithGrad(sums);
    const n = narrow(all, 0, 2 * channels, 1).detach();
    const total = n.item();
    const mean = div(narrow(all, 0, 0, channels), n);
    const variance = sub(div(narrow(all, 0, channels, channels), n), mul(mean, mean));
    if (a.runningMean && a.runningVar && total > 1)
      noGrad(() => {
        const m = a.momentum;
        mul_(a.runningMean!, 1 - m);
        add_(a.runningMean!, toDtype(mean, a.runningMean!.dtype), m);
        mul_(a.runningVar!, 1 - m);
        add_(a.runningVar!, toDtype(variance, a.runningVar!.dtype), (m * total) / (total - 1));
      });
    // y = x * scale + shift, with scale = weight / sqrt(var + eps) and shift = bias - mean * scale.
    const shape = input.shape.map((d, i) => (i === 1 ? d : 1));
    const invStd = toDtype(rsqrt(add(variance, a.eps)), input.dtype);
    const scale = a.weight ? mul(invStd, a.weight) : invStd;
    const shifted = mul(toDtype(mean, input.dtype), scale);
    const shift = a.bias ? sub(a.bias, shifted) : neg(shifted);
    return add(mul(input, view(scale, shape)), view(shift, shape));
  });
}
