// Weighted sums of the pixel losses: BCE + Dice (the common SIIM baseline) and BCE + Dice + focal.
import * as torch from '../../torch/index.js';
import type { Tensor } from '../../torch/index.js';
import { bceWithLogitsLoss } from './bce.js';
import { softDiceLoss } from './dice.js';
import { focalLoss, type FocalOptions } from './focal.js';
import type { LossFn } from './loss.js';

export interface ComboWeights {
  bce?: number;
  dice?: number;
  focal?: number;
}

export interface ComboOptions extends ComboWeights {
  posWeight?: number;
  smooth?: number;
  focalOptions?: FocalOptions;
}

/** weights.bce * BCE + weights.dice * Dice + weights.focal * focal; a zero or absent weight skips its term. */
export function comboLoss(logits: Tensor, targets: Tensor, options: ComboOptions): Tensor {
  return torch.scope(() => {
    const terms: Tensor[] = [];
    if (options.bce) terms.push(bceWithLogitsLoss(logits, targets, { posWeight: options.posWeight }).mul(options.bce));
    if (options.dice) terms.push(softDiceLoss(logits, targets, { smooth: options.smooth }).mul(options.dice));
    if (options.focal) terms.push(focalLoss(logits, targets, options.focalOptions).mul(options.focal));
    if (terms.length === 0) throw new Error('combo loss: every weight is zero');
    return terms.reduce((a, b) => a.add(b));
  });
}

export const combo =
  (options: ComboOptions): LossFn =>
  (logits, targets) =>
    comboLoss(logits, targets, options);
