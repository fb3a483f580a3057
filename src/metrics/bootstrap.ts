// Stratified bootstrap intervals. Each resample draws the positives with replacement from the
// positives and the negatives from the negatives, so every resample keeps the study's prevalence
// (and AUC, sensitivity and specificity stay defined); the interval is the percentile interval of the
// statistic over the resamples. One seeded generator (src/data/random.ts) makes it reproducible: the
// same seed, data and statistics give the same interval.
import { Rng } from '../data/random.js';

export const DEFAULT_RESAMPLES = 1000;
export const DEFAULT_BOOTSTRAP_SEED = 20261204;

/** A statistic of the images at `indices` (a resample, with repeats); null where it is undefined. */
export type Statistic = (indices: Int32Array) => number | null;

export interface Interval {
  /** The statistic on the images as they are. */
  estimate: number | null;
  /** Percentile interval; null when the estimate is null or no resample gave a value. */
  lower: number | null;
  upper: number | null;
  /** Resamples where the statistic was defined. */
  resamples: number;
}

export interface BootstrapOptions {
  resamples?: number;
  seed?: number;
  /** Two-sided coverage; default 0.95. */
  level?: number;
}

/** The q-quantile of sorted values, linear between order statistics (numpy's default). */
export function quantileSorted(sorted: ArrayLike<number>, q: number): number {
  const position = (sorted.length - 1) * q;
  const below = Math.floor(position);
  const above = Math.min(sorted.length - 1, below + 1);
  return sorted[below] + (sorted[above] - sorted[below]) * (position - below);
}

/** Every image's index, then one stratified resample per call (the same buffer, refilled). */
export class StratifiedResampler {
  private readonly positives: Int32Array;
  private readonly negatives: Int32Array;
  readonly all: Int32Array;
  private readonly buffer: Int32Array;
  private readonly rng: Rng;

  constructor(truth: ArrayLike<number>, seed = DEFAULT_BOOTSTRAP_SEED) {
    const pos: number[] = [];
    const neg: number[] = [];
    for (let i = 0; i < truth.length; i++) (truth[i] === 1 ? pos : neg).push(i);
    this.positives = Int32Array.from(pos);
    this.negatives = Int32Array.from(neg);
    this.all = Int32Array.from({ length: truth.length }, (_, i) => i);
    this.buffer = new Int32Array(truth.length);
    this.rng = new Rng(seed);
  }

  next(): Int32Array {
    let k = 0;
    for (const stratum of [this.positives, this.negatives])
      for (let i = 0; i < stratum.length; i++) this.buffer[k++] = stratum[this.rng.int(stratum.length)];
    return this.buffer;
  }
}

/**
 * Percentile intervals of several statistics over the same stratified resamples (each resample is
 * drawn once and every statistic sees it, so their intervals are of one bootstrap).
 */
export function bootstrapIntervals<K extends string>(
  truth: ArrayLike<number>,
  statistics: Record<K, Statistic>,
  options: BootstrapOptions = {},
): Record<K, Interval> {
  const resamples = options.resamples ?? DEFAULT_RESAMPLES;
  if (!Number.isInteger(resamples) || resamples < 0)
    throw new RangeError(`bootstrap: resamples must be a whole number >= 0, got ${resamples}`);
  const level = options.level ?? 0.95;
  const names = Object.keys(statistics) as K[];
  const sampler = new StratifiedResampler(truth, options.seed);
  const estimates = names.map((name) => statistics[name](sampler.all));
  const values = names.map(() => new Float64Array(resamples));
  const counts = names.map(() => 0);
  for (let b = 0; b < resamples; b++) {
    const indices = sampler.next();
    names.forEach((name, s) => {
      if (estimates[s] === null) return;
      const v = statistics[name](indices);
      if (v !== null && Number.isFinite(v)) values[s][counts[s]++] = v;
    });
  }
  const result = {} as Record<K, Interval>;
  names.forEach((name, s) => {
    const sorted = values[s].subarray(0, counts[s]).sort();
    const defined = estimates[s] !== null && counts[s] > 0;
    result[name] = {
      estimate: estimates[s],
      lower: defined ? quantileSorted(sorted, (1 - level) / 2) : null,
      upper: defined ? quantileSorted(sorted, 1 - (1 - level) / 2) : null,
      resamples: counts[s],
    };
  });
  return result;
}
