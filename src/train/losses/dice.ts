// Soft Dice loss, computed per image and then averaged (a batch-pooled Dice would let large masks drown
// small ones): 1 - (2 sum(p t) + smooth) / (sum(p) + sum(t) + smooth), p = sigmoid(logits). The smooth
// term makes an image with an empty truth and an empty prediction score a loss near 0, as the SIIM
// convention scores it 1.
import * as torch from '../../torch/index.js';
import type { Tensor } from '../../torch/index.js';
import { checkSameShape, type LossFn } from './loss.js';

export interface DiceOptions {
  /** Added to numerator and denominator; default 1. */
  smooth?: number;
}

export function softDiceLoss(logits: Tensor, targets: Tensor, options: DiceOptions = {}): Tensor {
  checkSameShape('dice', logits, targets);
  const smooth = options.smooth ?? 1;
  return torch.scope(() => {
    const n = logits.shape[0];
    const p = torch.sigmoid(logits).reshape([n, -1]);
    const t = targets.reshape([n, -1]);
    const intersection = p.mul(t).sum(1);
    const denominator = p.sum(1).add(t.sum(1)).add(smooth);
    const dice = intersection.mul(2).add(smooth).div(denominator);
    return torch.rsub(dice, 1).mean();
  });
}

export const diceLoss =
  (options: DiceOptions = {}): LossFn =>
  (logits, targets) =>
    softDiceLoss(logits, targets, options);
