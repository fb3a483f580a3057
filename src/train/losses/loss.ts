// What every loss is: logits and 0/1 targets of the same shape in, a scalar tensor out, differentiable
// through the engine's autograd. Segmentation losses take [N, 1, H, W] (or [N, ...]); per-image losses
// treat dimension 0 as the image.
import type { Tensor } from '../../torch/index.js';

export type LossFn = (logits: Tensor, targets: Tensor) => Tensor;

export class LossError extends Error {
  override name = 'LossError';
}

export function checkSameShape(what: string, logits: Tensor, targets: Tensor): void {
  const a = logits.shape;
  const b = targets.shape;
  if (a.length !== b.length || a.some((d, i) => d !== b[i])) {
    throw new LossError(`${what}: logits [${a.join(', ')}] and targets [${b.join(', ')}] differ in shape`);
  }
}
