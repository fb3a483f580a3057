// How close a dataset's masks are to the real SIIM-ACR ones: its mask-area percentiles
// beside SIIM's, the share of its positives in each of SIIM's size bands, and its rows per positive
// image beside SIIM's. A synthetic set whose masks are all large says so here at a glance.
import { SIIM_AREA_QUANTILES, SIIM_ROW_SHARES, SIIM_SIZE_BANDS, sizeBand } from '../../data/synth/siim-reference.js';
import type { LabelFacts } from './label-facts.js';
import { quantileSorted } from './stats.js';

export interface SiimComparison {
  /** Positive images whose mask area is known. */
  images: number;
  percentiles: { percentile: number; siim: number; dataset: number; ratio: number }[];
  /** Share of positive images per size band; SIIM's shares follow from its percentiles (25/50/25). */
  bands: { band: string; siim: number; dataset: number }[];
  /** Share of positive images with 1, 2, 3 and 4 or more rows. */
  rows: { rows: string; siim: number; dataset: number }[];
}

/** SIIM's band shares: the bands' edges are its 25th and 75th percentiles. */
const SIIM_BAND_SHARES = [0.25, 0.5, 0.25];

/** Null when the dataset has no measured positive image. */
export function compareWithSiim(maskShares: readonly number[], labels: LabelFacts): SiimComparison | null {
  const sorted = maskShares.filter(Number.isFinite).sort((a, b) => a - b);
  if (sorted.length === 0) return null;
  const counts = SIIM_SIZE_BANDS.map(() => 0);
  for (const share of sorted) counts[sizeBand(share)]++;
  const positives = labels.rowsPerPositiveImage.reduce((sum, r) => sum + r.images, 0);
  const rowShare = (test: (rows: number) => boolean) =>
    labels.rowsPerPositiveImage.filter((r) => test(r.maskRows)).reduce((sum, r) => sum + r.images, 0) /
    Math.max(1, positives);
  const siimTotal = SIIM_ROW_SHARES.reduce((sum, r) => sum + r.share, 0);
  const last = SIIM_ROW_SHARES[SIIM_ROW_SHARES.length - 1].rows;
  return {
    images: sorted.length,
    percentiles: SIIM_AREA_QUANTILES.map(({ percentile, areaFraction }) => {
      const dataset = quantileSorted(sorted, percentile / 100);
      return { percentile, siim: areaFraction, dataset, ratio: dataset / areaFraction };
    }),
    bands: SIIM_SIZE_BANDS.map((band, i) => ({
      band: band.name,
      siim: SIIM_BAND_SHARES[i],
      dataset: counts[i] / sorted.length,
    })),
    rows: SIIM_ROW_SHARES.map((r) => ({
      rows: r.rows === last ? `${r.rows}+` : String(r.rows),
      siim: r.share / siimTotal,
      dataset: rowShare((n) => (r.rows === last ? n >= r.rows : n === r.rows)),
    })),
  };
}
