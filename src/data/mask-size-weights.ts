// Sampling weights that favour small pneumothoraces: a positive image whose mask covers less than
// `belowFraction` of the film is drawn `factor` times as often as the other images. Small masks are a
// quarter of SIIM's positives but the ones a model learns last, as few pixels carry their loss; the
// top SIIM solutions raised their rate in the sampler rather than in the loss. Areas are read from the
// label rows (relative to SIIM's 1024 x 1024 films), so no image is decoded.
import { SIIM_SIZE, rleIntervals } from './rle.js';
import type { DatasetItem } from './dataset.js';
import { SamplerError } from './sampler.js';

export interface SmallMaskSampling {
  /** Area fraction of the film below which a mask counts as small (SIIM's lowest quartile edge: 0.004). */
  belowFraction: number;
  /** How many times as often a small-mask image is drawn. */
  factor: number;
}

/** The share of a SIIM-size film the item's mask covers (rows OR-ed, as decoding does). */
export function maskAreaFraction(item: Pick<DatasetItem, 'imageId' | 'rleRows'>): number {
  const intervals = rleIntervals(item.rleRows, SIIM_SIZE, SIIM_SIZE, item.imageId);
  let pixels = 0;
  for (let i = 0; i < intervals.length; i += 2) pixels += intervals[i + 1] - intervals[i];
  return pixels / (SIIM_SIZE * SIIM_SIZE);
}

/** Weight `factor` for positives with a small mask and 1 for every other item; also how many are small. */
export function smallMaskWeights(
  items: readonly Pick<DatasetItem, 'imageId' | 'label' | 'rleRows'>[],
  sampling: SmallMaskSampling,
): { weights: Float64Array; small: number } {
  const { belowFraction, factor } = sampling;
  if (!(belowFraction > 0 && belowFraction <= 1))
    throw new SamplerError(`small-mask fraction must be in (0, 1], received ${belowFraction}`);
  if (!(factor >= 0) || !Number.isFinite(factor))
    throw new SamplerError(`small-mask factor must be a finite number >= 0, received ${factor}`);
  const weights = new Float64Array(items.length);
  let small = 0;
  items.forEach((item, i) => {
    const isSmall = item.label === 1 && maskAreaFraction(item) < belowFraction;
    if (isSmall) small++;
    weights[i] = isSmall ? factor : 1;
  });
  return { weights, small };
}
