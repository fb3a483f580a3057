// Losses by name, as a config or a --loss flag names them.
import { bceLoss } from './bce.js';
import { combo } from './combo.js';
import { diceLoss } from './dice.js';
import { focal } from './focal.js';
import { LossError, type LossFn } from './loss.js';
import { lovasz } from './lovasz.js';

export { bceWithLogitsLoss, type BceOptions } from './bce.js';
export { softDiceLoss, type DiceOptions } from './dice.js';
export { focalLoss, type FocalOptions } from './focal.js';
export { lovaszHingeLoss, symmetricLovaszLoss } from './lovasz.js';
export { comboLoss, type ComboOptions, type ComboWeights } from './combo.js';
export { LossError, type LossFn } from './loss.js';

export const LOSS_NAMES = ['bce', 'dice', 'focal', 'lovasz', 'bce-dice', 'bce-dice-focal'] as const;
export type LossName = (typeof LOSS_NAMES)[number];

export interface LossConfig {
  name: LossName;
  /** BCE weight of positives (bce, bce-dice, bce-dice-focal). */
  posWeight?: number;
  /** Dice smoothing term. */
  smooth?: number;
  focalAlpha?: number;
  focalGamma?: number;
  /** Weights of the terms of the combined losses; defaults bce 1, dice 1, focal 1. */
  weights?: { bce?: number; dice?: number; focal?: number };
}

export function makeLoss(config: LossConfig): LossFn {
  const focalOptions = { alpha: config.focalAlpha, gamma: config.focalGamma };
  const w = config.weights ?? {};
  switch (config.name) {
    case 'bce':
      return bceLoss({ posWeight: config.posWeight });
    case 'dice':
      return diceLoss({ smooth: config.smooth });
    case 'focal':
      return focal(focalOptions);
    case 'lovasz':
      return lovasz();
    case 'bce-dice':
      return combo({ bce: w.bce ?? 1, dice: w.dice ?? 1, posWeight: config.posWeight, smooth: config.smooth });
    case 'bce-dice-focal':
      return combo({
        bce: w.bce ?? 1,
        dice: w.dice ?? 1,
        focal: w.focal ?? 1,
        posWeight: config.posWeight,
        smooth: config.smooth,
        focalOptions,
      });
    default:
      throw new LossError(
        `Wrong loss name \`${String((config as { name: unknown }).name)}\`, supported losses: ${LOSS_NAMES.join(', ')}`,
      );
  }
}
