// DeLong's variance of the ROC AUC (DeLong, DeLong & Clarke-Pearson 1988), computed with Sun & Xu's
// midrank algorithm (IEEE Signal Processing Letters 2014) in O(n log n) instead of the O(mn) pairwise
// structural components; the two are the same numbers. With m positives X and n negatives Y:
//   V10_i = (Tz(X_i) - Tx(X_i)) / n      (share of negatives below positive i, ties one half)
//   V01_j = 1 - (Tz(Y_j) - Ty(Y_j)) / m  (share of positives above negative j, ties one half)
// where Tz is the midrank in the pooled sample and Tx, Ty the midrank within the class;
// Var(AUC) = S10 / m + S01 / n with S10, S01 the sample variances (denominator m - 1, n - 1).
// The interval is AUC +- z * SE, clipped to [0, 1].

/** The normal quantile for a two-sided 95% interval. */
export const Z_95 = 1.959963984540054;

export interface DelongAuc {
  auc: number;
  variance: number;
  standardError: number;
  lower: number;
  upper: number;
}

/** Midranks (1-based, ties get the mean of their ranks) of `values`. */
export function midranks(values: ArrayLike<number>): Float64Array {
  const order = Array.from({ length: values.length }, (_, i) => i).sort((a, b) => values[a] - values[b]);
  const ranks = new Float64Array(values.length);
  for (let start = 0; start < order.length;) {
    let end = start;
    while (end + 1 < order.length && values[order[end + 1]] === values[order[start]]) end++;
    const rank = (start + end) / 2 + 1;
    for (let k = start; k <= end; k++) ranks[order[k]] = rank;
    start = end + 1;
  }
  return ranks;
}

function sampleVariance(values: Float64Array): number {
  let mean = 0;
  for (const v of values) mean += v;
  mean /= values.length;
  let sum = 0;
  for (const v of values) sum += (v - mean) ** 2;
  return sum / (values.length - 1);
}

/** The structural components V10 (one per positive) and V01 (one per negative). */
export function structuralComponents(
  scores: ArrayLike<number>,
  truth: ArrayLike<number>,
): { v10: Float64Array; v01: Float64Array } {
  if (scores.length !== truth.length) throw new Error(`DeLong: ${scores.length} scores for ${truth.length} labels`);
  const positives: number[] = [];
  const negatives: number[] = [];
  for (let i = 0; i < scores.length; i++) {
    if (Number.isNaN(scores[i])) throw new Error(`DeLong: score ${i} is NaN`);
    if (truth[i] === 1) positives.push(scores[i]);
    else if (truth[i] === 0) negatives.push(scores[i]);
    else throw new Error(`DeLong: label ${i} is ${truth[i]}, expected 0 or 1`);
  }
  const m = positives.length;
  const n = negatives.length;
  const tx = midranks(positives);
  const ty = midranks(negatives);
  const tz = midranks([...positives, ...negatives]);
  const v10 = Float64Array.from(positives, (_, i) => (tz[i] - tx[i]) / n);
  const v01 = Float64Array.from(negatives, (_, j) => 1 - (tz[m + j] - ty[j]) / m);
  return { v10, v01 };
}

/** AUC with DeLong's variance and a 95% interval; null with fewer than two images of either class. */
export function delongAuc(scores: ArrayLike<number>, truth: ArrayLike<number>, z = Z_95): DelongAuc | null {
  const { v10, v01 } = structuralComponents(scores, truth);
  const m = v10.length;
  const n = v01.length;
  if (m < 2 || n < 2) return null;
  let auc = 0;
  for (const v of v10) auc += v;
  auc /= m;
  const variance = sampleVariance(v10) / m + sampleVariance(v01) / n;
  const standardError = Math.sqrt(variance);
  return {
    auc,
    variance,
    standardError,
    lower: Math.max(0, auc - z * standardError),
    upper: Math.min(1, auc + z * standardError),
  };
}
