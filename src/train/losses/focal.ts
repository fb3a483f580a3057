// Focal loss (Lin et al. 2017) on logits, as torchvision.ops.sigmoid_focal_loss with reduction "mean":
// BCE scaled by (1 - p_t)^gamma so that easy pixels count less, and weighted by alpha for positives and
// 1 - alpha for negatives (alpha < 0 turns the weighting off).
import * as torch from '../../torch/index.js';
import type { Tensor } from '../../torch/index.js';
import { checkSameShape, type LossFn } from './loss.js';

export interface FocalOptions {
  /** Default 0.25; negative: no class weighting. */
  alpha?: number;
  /** Default 2. */
  gamma?: number;
}

export function focalLoss(logits: Tensor, targets: Tensor, options: FocalOptions = {}): Tensor {
  checkSameShape('focal', logits, targets);
  const alpha = options.alpha ?? 0.25;
  const gamma = options.gamma ?? 2;
  return torch.scope(() => {
    const p = torch.sigmoid(logits);
    const ce = torch.binaryCrossEntropyWithLogits(logits, targets, { reduction: 'none' });
    // 1 - p_t = p + t - 2 p t, the probability given to the wrong class.
    const wrong = p.add(targets).sub(p.mul(targets).mul(2));
    let loss = ce.mul(torch.pow(wrong, gamma));
    if (alpha >= 0) loss = loss.mul(targets.mul(2 * alpha - 1).add(1 - alpha));
    return loss.mean();
  });
}

export const focal =
  (options: FocalOptions = {}): LossFn =>
  (logits, targets) =>
    focalLoss(logits, targets, options);
