// What the real SIIM-ACR training labels look like (12,954 rows, 2,669 positive images): the
// pneumothorax area as a share of the 1024 x 1024 image at nine percentiles, and how
// many RLE rows a positive image has. The generator draws from these, and EDA sets a dataset beside them.

/** Percentiles of the mask area (all rows of an image together) over the positive images. */
export const SIIM_AREA_QUANTILES: readonly { percentile: number; areaFraction: number }[] = [
  { percentile: 1, areaFraction: 0.00054 },
  { percentile: 5, areaFraction: 0.0013 },
  { percentile: 10, areaFraction: 0.0019 },
  { percentile: 25, areaFraction: 0.004 },
  { percentile: 50, areaFraction: 0.0084 },
  { percentile: 75, areaFraction: 0.0178 },
  { percentile: 90, areaFraction: 0.033 },
  { percentile: 95, areaFraction: 0.046 },
  { percentile: 99, areaFraction: 0.083 },
];

/** Shares of positive images written as 1, 2, 3 and 4 or more rows (they add up to 100.5%: rounding). */
export const SIIM_ROW_SHARES: readonly { rows: number; share: number }[] = [
  { rows: 1, share: 0.77 },
  { rows: 2, share: 0.17 },
  { rows: 3, share: 0.04 },
  { rows: 4, share: 0.025 },
];

/** The mask-size bands the demo reports per stage: below the 25th percentile, up to the 75th, above. */
export const SIIM_SIZE_BANDS: readonly { name: string; below: number }[] = [
  { name: 'small (< 0.4%)', below: 0.004 },
  { name: 'medium (0.4-1.8%)', below: 0.018 },
  { name: 'large (> 1.8%)', below: Infinity },
];

/** Fraction of positive images with more than one row. */
export function siimMultiRowRate(): number {
  const total = SIIM_ROW_SHARES.reduce((sum, r) => sum + r.share, 0);
  return (total - SIIM_ROW_SHARES[0].share) / total;
}

/** The number of rows (2, 3 or 4) of a multi-row image for u uniform in [0, 1), in SIIM's proportions. */
export function siimMultiRowCount(u: number): number {
  const multi = SIIM_ROW_SHARES.slice(1);
  let left = u * multi.reduce((sum, r) => sum + r.share, 0);
  for (const r of multi) {
    left -= r.share;
    if (left < 0) return r.rows;
  }
  return multi[multi.length - 1].rows;
}

/**
 * The SIIM mask-area quantile function: log-area interpolated linearly in the normal score between
 * the measured percentiles, which is exact at each of them and log-normal between and beyond them
 * (the tails extend the outermost segments: below the 1st and above the 99th percentile).
 */
export function siimAreaQuantile(u: number): number {
  const p = Math.min(1 - 1e-9, Math.max(1e-9, u));
  const z = normalQuantile(p);
  const knots = SIIM_AREA_QUANTILES.map((q) => ({
    z: normalQuantile(q.percentile / 100),
    y: Math.log(q.areaFraction),
  }));
  let i = 0;
  while (i < knots.length - 2 && z > knots[i + 1].z) i++;
  const a = knots[i],
    b = knots[i + 1];
  return Math.exp(a.y + ((z - a.z) * (b.y - a.y)) / (b.z - a.z));
}

/** Which of SIIM_SIZE_BANDS an area fraction falls in (index). */
export function sizeBand(areaFraction: number): number {
  return SIIM_SIZE_BANDS.findIndex((band) => areaFraction < band.below);
}

/**
 * The standard normal quantile (Acklam's rational approximation, relative error below 1.2e-9):
 * enough for turning percentiles into normal scores.
 */
export function normalQuantile(p: number): number {
  const a = [
    -39.69683028665376, 220.9460984245205, -275.9285104469687, 138.357751867269, -30.66479806614716, 2.506628277459239,
  ];
  const b = [-54.47609879822406, 161.5858368580409, -155.6989798598866, 66.80131188771972, -13.28068155288572];
  const c = [
    -0.007784894002430293, -0.3223964580411365, -2.400758277161838, -2.549732539343734, 4.374664141464968,
    2.938163982698783,
  ];
  const d = [0.007784695709041462, 0.3224671290700398, 2.445134137142996, 3.754408661907416];
  const low = 0.02425;
  if (p < low) {
    const q = Math.sqrt(-2 * Math.log(p));
    return (
      (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) /
      ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1)
    );
  }
  if (p > 1 - low) return -normalQuantile(1 - p);
  const q = p - 0.5;
  const r = q * q;
  return (
    ((((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q) /
    (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1)
  );
}
