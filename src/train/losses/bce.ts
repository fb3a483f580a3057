// Binary cross-entropy on logits, mean over elements; posWeight > 1 weighs positive targets more (the
// usual answer to few positive pixels or images).
import * as torch from '../../torch/index.js';
import type { Tensor } from '../../torch/index.js';
import { checkSameShape, type LossFn } from './loss.js';

export interface BceOptions {
  /** Weight of the positive term; 1 (default) is plain BCE. */
  posWeight?: number;
}

export function bceWithLogitsLoss(logits: Tensor, targets: Tensor, options: BceOptions = {}): Tensor {
  checkSameShape('bce', logits, targets);
  const posWeight = options.posWeight ?? 1;
  if (posWeight === 1) return torch.binaryCrossEntropyWithLogits(logits, targets);
  return torch.scope(() =>
    torch.binaryCrossEntropyWithLogits(logits, targets, {
      posWeight: torch.full([1], posWeight, { dtype: logits.dtype }),
    }),
  );
}

export const bceLoss =
  (options: BceOptions = {}): LossFn =>
  (logits, targets) =>
    bceWithLogitsLoss(logits, targets, options);
