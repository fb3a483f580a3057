// Transforms of a trained model for inference only, each one measured by `pneumo bench
// predict-precision` before a caller turns it on:
// - folding each eval-mode batch norm into the convolution that feeds it (one pass over the
//   activations fewer per pair; PyTorch's eager mode does not do this without torch.jit.freeze);
// - channels-last weights (oneDNN's native layout, so convolutions skip the reorders);
// - convolution and linear weights cast to bf16 once, instead of autocast re-casting them at every call.
// The model is changed in place: its state dict no longer matches the checkpoint it was loaded from.
import type { Tensor } from '../tensor.js';
import { contiguousAs, toDtype } from '../ops/shape.js';
import type { DType } from '../dtype.js';
import { scope } from '../scope.js';
import { noGrad } from '../grad-mode.js';
import type { Module } from './module.js';
import { Conv2d, ConvTranspose2d } from './conv.js';
import { BatchNorm2d } from './batchnorm.js';
import { Linear } from './linear.js';

type Forward = (input: Tensor) => Tensor;

/** Runs `run` with each listed module's forward wrapped by `wrap`; the originals come back afterwards. */
function withWrappedForwards(
  modules: readonly (Conv2d | BatchNorm2d)[],
  wrap: (m: Conv2d | BatchNorm2d, original: Forward) => Forward,
  run: () => void,
): void {
  for (const m of modules) {
    const original = m.forward.bind(m);
    Object.defineProperty(m, 'forward', { value: wrap(m, original), configurable: true, writable: true });
  }
  try {
    run();
  } finally {
    for (const m of modules) delete (m as { forward?: Forward }).forward;
  }
}

/**
 * Folds every batch norm whose input is the direct output of a convolution into that convolution.
 * The pairs are found by tracing `forward` (which should run the model once on a small input): a
 * pair needs the convolution and the batch norm each called exactly once and the batch norm to receive
 * the very tensor the convolution returned. Returns the number of pairs folded. The model must be in
 * eval mode; its folded batch norms pass their input through from then on.
 */
export function foldBatchNorm(model: Module, forward: () => void): number {
  if (model.training) throw new Error('foldBatchNorm needs a model in eval mode');
  const convs: Conv2d[] = [];
  const norms: BatchNorm2d[] = [];
  for (const [, m] of model.namedModules()) {
    if (m instanceof Conv2d) convs.push(m);
    else if (m instanceof BatchNorm2d && !m.folded && m.trackRunningStats) norms.push(m);
  }
  const calls = new Map<Module, number>();
  const producedBy = new Map<Tensor, Conv2d>();
  const fedBy = new Map<BatchNorm2d, Conv2d | null>();
  withWrappedForwards(
    [...convs, ...norms],
    (m, original) => (input) => {
      calls.set(m, (calls.get(m) ?? 0) + 1);
      if (m instanceof BatchNorm2d) fedBy.set(m, producedBy.get(input) ?? null);
      const output = original(input);
      if (m instanceof Conv2d) producedBy.set(output, m);
      return output;
    },
    () => noGrad(() => scope(forward)),
  );
  let folded = 0;
  for (const [norm, conv] of fedBy) {
    if (!conv || calls.get(norm) !== 1 || calls.get(conv) !== 1) continue;
    const { scale, shift } = norm.foldOut();
    conv.foldAffine(scale, shift);
    scale.dispose();
    shift.dispose();
    folded++;
  }
  return folded;
}

/** Stores every 4-D parameter and buffer channels-last; feed the model channels-last input too. */
export function toChannelsLast(model: Module): void {
  for (const [, m] of model.namedModules())
    m.mapOwnTensors((t) => (t.shape.length === 4 ? contiguousAs(t, 'channels-last') : t));
}

/**
 * Casts the weights and biases of convolutions and linear layers to `dtype` once; batch norm and
 * everything else stays as it is. Only for use under autocast to the same dtype, which then finds
 * them already cast.
 */
export function castComputeWeights(model: Module, dtype: DType): void {
  for (const [, m] of model.namedModules())
    if (m instanceof Conv2d || m instanceof ConvTranspose2d || m instanceof Linear)
      m.mapOwnTensors((t) => (t.dtype === dtype ? t : toDtype(t, dtype)));
}
