// Has a score's distribution moved away from a reference sample (the validation set's)? Two figures,
// pure functions of the two samples:
// - Population stability index: bins cut at the reference's quantiles (so each holds an equal share
//   of the reference), then PSI = sum over bins of (c - r) * ln(c / r), with r and c the reference's
//   and the current sample's share of the bin. An empty bin's share is taken as EMPTY_BIN_SHARE, as is
//   usual, so that one empty bin does not make the index infinite. Credit-risk practice reads < 0.1 as
//   stable and > 0.25 as a shift; with few current values the index is biased upwards (about
//   (bins - 1) / n for samples of the same distribution), so small samples need fewer bins.
// - Two-sample Kolmogorov-Smirnov statistic: the largest gap between the two empirical distribution
//   functions, D = sup |F_ref(x) - F_cur(x)| (scipy.stats.ks_2samp's `statistic`).
import { quantileSorted } from './bootstrap.js';

/** The share an empty bin counts with in the PSI (instead of 0, whose logarithm is infinite). */
export const EMPTY_BIN_SHARE = 1e-4;

function sortedFinite(values: ArrayLike<number>, what: string): Float64Array {
  const out = Float64Array.from(values);
  for (let i = 0; i < out.length; i++)
    if (!Number.isFinite(out[i])) throw new Error(`${what}: value ${i} is ${out[i]}, expected a finite number`);
  return out.sort();
}

/**
 * Inner bin edges at the reference's quantiles 1/bins, ..., (bins-1)/bins (numpy's linear quantile),
 * repeated edges dropped (a reference with ties has fewer bins).
 */
export function quantileEdges(reference: ArrayLike<number>, bins: number): number[] {
  if (!Number.isInteger(bins) || bins < 2) throw new Error(`quantileEdges: bins is ${bins}, expected an integer >= 2`);
  const sorted = sortedFinite(reference, 'quantileEdges');
  if (sorted.length === 0) throw new Error('quantileEdges: the reference sample is empty');
  const edges: number[] = [];
  for (let k = 1; k < bins; k++) {
    const edge = quantileSorted(sorted, k / bins);
    if (edges.length === 0 || edge > edges[edges.length - 1]) edges.push(edge);
  }
  return edges;
}

/** Each bin's share of the values; bin k holds edges[k-1] < v <= edges[k] (the first and last are open). */
export function binShares(values: ArrayLike<number>, edges: readonly number[]): number[] {
  const counts = new Array<number>(edges.length + 1).fill(0);
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    let lo = 0;
    let hi = edges.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (edges[mid] < v) lo = mid + 1;
      else hi = mid;
    }
    counts[lo]++;
  }
  return counts.map((c) => (values.length === 0 ? 0 : c / values.length));
}

/** PSI of two vectors of bin shares (each summing to 1). */
export function psiOfShares(reference: readonly number[], current: readonly number[]): number {
  if (reference.length !== current.length)
    throw new Error(`psi: ${reference.length} reference bins against ${current.length} current bins`);
  let psi = 0;
  for (let k = 0; k < reference.length; k++) {
    const r = Math.max(reference[k], EMPTY_BIN_SHARE);
    const c = Math.max(current[k], EMPTY_BIN_SHARE);
    psi += (c - r) * Math.log(c / r);
  }
  return psi;
}

/** Population stability index of `current` against `reference`, over `bins` reference-quantile bins (default 10). */
export function populationStabilityIndex(reference: ArrayLike<number>, current: ArrayLike<number>, bins = 10): number {
  if (current.length === 0) throw new Error('populationStabilityIndex: the current sample is empty');
  sortedFinite(current, 'populationStabilityIndex');
  const edges = quantileEdges(reference, bins);
  return psiOfShares(binShares(reference, edges), binShares(current, edges));
}

/** The two-sample Kolmogorov-Smirnov statistic D = sup_x |F_a(x) - F_b(x)|, ties handled as one step. */
export function ksStatistic(a: ArrayLike<number>, b: ArrayLike<number>): number {
  const x = sortedFinite(a, 'ksStatistic');
  const y = sortedFinite(b, 'ksStatistic');
  if (x.length === 0 || y.length === 0) throw new Error('ksStatistic: a sample is empty');
  let i = 0;
  let j = 0;
  let d = 0;
  while (i < x.length && j < y.length) {
    const v = Math.min(x[i], y[j]);
    while (i < x.length && x[i] === v) i++;
    while (j < y.length && y[j] === v) j++;
    d = Math.max(d, Math.abs(i / x.length - j / y.length));
  }
  return d;
}
