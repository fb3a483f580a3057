// What a film carries besides the finding: chest drains, ECG electrodes and leads, skin folds. Each
// comes at its own rate per class (a role, see composition.ts, so a set holds the asked fractions);
// a drain goes on the pneumothorax's side in most positives, as treatment puts it there.
import type { Rng } from '../random.js';
import type { Anatomy } from './anatomy.js';
import { drawChestDrain, renderChestDrain, type ChestDrain } from './chest-drain.js';
import { hasRole } from './composition.js';
import { drawEcgLeads, renderEcgLeads, type EcgElectrode } from './ecg-leads.js';
import type { CONFOUNDER_RATES, SynthOptions } from './options.js';
import { drawSkinFold, renderSkinFold, type SkinFold } from './skin-fold.js';

export interface Confounders {
  chestDrain: ChestDrain | null;
  ecgLeads: EcgElectrode[];
  skinFold: SkinFold | null;
}

/** Share of positives with a drain whose drain is on the pneumothorax's side. */
const DRAIN_SAME_SIDE = 0.85;

type ConfounderRates = Pick<SynthOptions, 'seed' | (typeof CONFOUNDER_RATES)[number]>;

/** `pneumothoraxLung` is null for a negative image. */
export function drawConfounders(
  rng: Rng,
  anatomy: Anatomy,
  options: ConfounderRates,
  index: number,
  pneumothoraxLung: 0 | 1 | null,
): Confounders {
  const positive = pneumothoraxLung !== null;
  const { seed } = options;
  const has = (role: 'chestDrain' | 'ecgLeads' | 'skinFold', ratePositive: number, rateNegative: number) =>
    hasRole(seed, index, role, positive ? ratePositive : rateNegative);
  // Every draw is made whether or not the image gets the item, so that one rate does not move the others.
  const drainLung: 0 | 1 =
    pneumothoraxLung !== null && rng.bool(DRAIN_SAME_SIDE) ? pneumothoraxLung : rng.bool() ? 0 : 1;
  const drain = drawChestDrain(rng, anatomy, drainLung);
  const leads = drawEcgLeads(rng, anatomy);
  const fold = drawSkinFold(rng, anatomy, rng.bool() ? 0 : 1);
  return {
    chestDrain: has('chestDrain', options.tubeRatePositive, options.tubeRateNegative) ? drain : null,
    ecgLeads: has('ecgLeads', options.ecgRatePositive, options.ecgRateNegative) ? leads : [],
    skinFold: has('skinFold', options.skinFoldRatePositive, options.skinFoldRateNegative) ? fold : null,
  };
}

export function renderConfounders(c: Confounders, size: number, density: Float32Array): void {
  if (c.skinFold) renderSkinFold(c.skinFold, size, density);
  if (c.ecgLeads.length > 0) renderEcgLeads(c.ecgLeads, size, density);
  if (c.chestDrain) renderChestDrain(c.chestDrain, size, density);
}
