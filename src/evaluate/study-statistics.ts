// The statistics a clinical evaluation puts intervals on, as functions of a bootstrap resample
// (src/metrics/bootstrap.ts: indices into the records, with repeats). Each image's facts are taken
// once into columns, and the images are sorted by score once (ScoreOrder); a statistic then counts
// over the indices it is given, so a thousand resamples cost a thousand linear passes, no sort.
//   - AUC: the classifier's ROC AUC (Mann-Whitney);
//   - rates at a fixed classifier threshold, for the classifier alone or the pipeline (which calls an
//     image positive only when the classifier passes it and a mask survives, as bundle-point.ts);
//   - the pipeline's SIIM score and its mean Dice on positives (a missed image scores 0).
import type { Statistic } from '../metrics/bootstrap.js';
import { pointAtSensitivity, pointAtSpecificity, type RateStep } from '../metrics/operating-points.js';
import { emptyMaskDice, type PipelineRecord } from './threshold-sweep.js';

export type Rate = 'sensitivity' | 'specificity' | 'ppv' | 'npv';

export class RecordColumns {
  readonly scores: Float64Array;
  readonly truth: Uint8Array;
  readonly segmentedDice: Float64Array;
  readonly maskFound: Uint8Array;

  constructor(records: readonly PipelineRecord[]) {
    this.scores = Float64Array.from(records, (r) => r.probability);
    this.truth = Uint8Array.from(records, (r) => r.label);
    this.segmentedDice = Float64Array.from(records, (r) => r.segmentedDice);
    this.maskFound = Uint8Array.from(records, (r) => (r.maskFound ? 1 : 0));
  }

  get length(): number {
    return this.truth.length;
  }

  /** 1 where the classifier alone (or the pipeline) calls the image positive at threshold t. */
  called(t: number, stage: 'classifier' | 'pipeline'): Uint8Array {
    return Uint8Array.from(this.scores, (p, i) =>
      p >= t && (stage === 'classifier' || this.maskFound[i] === 1) ? 1 : 0,
    );
  }

  /** Each image's pipeline Dice at threshold t: the segmenter's when passed, else that of an empty mask. */
  pipelineDice(t: number): Float64Array {
    return this.scores.map((p, i) => (p >= t ? this.segmentedDice[i] : emptyMaskDice(this.truth[i] as 0 | 1)));
  }
}

/**
 * The images' tie groups in ascending order of score, computed once: a resample is then scored by
 * how many times it drew each image, in one pass without sorting (the same numbers as sorting the
 * resample: ties count one half in the AUC and form one threshold in the ROC steps).
 */
export class ScoreOrder {
  /** Image indices in ascending score order; group g is order[starts[g]] .. order[starts[g + 1] - 1]. */
  private readonly order: Int32Array;
  private readonly starts: Int32Array;
  private readonly scores: Float64Array;
  private readonly truth: Uint8Array;
  private readonly draws: Int32Array;

  constructor(columns: RecordColumns) {
    this.scores = columns.scores;
    this.truth = columns.truth;
    const order = Array.from({ length: columns.length }, (_, i) => i).sort((a, b) => this.scores[a] - this.scores[b]);
    this.order = Int32Array.from(order);
    const starts = [0];
    for (let k = 1; k < order.length; k++) if (this.scores[order[k]] !== this.scores[order[k - 1]]) starts.push(k);
    starts.push(order.length);
    this.starts = Int32Array.from(starts);
    this.draws = new Int32Array(columns.length);
  }

  /** Positives and negatives drawn in each tie group, ascending by score. */
  private groupCounts(indices: Int32Array): { pos: Int32Array; neg: Int32Array } {
    this.draws.fill(0);
    for (const i of indices) this.draws[i]++;
    const groups = this.starts.length - 1;
    const pos = new Int32Array(groups);
    const neg = new Int32Array(groups);
    for (let g = 0; g < groups; g++)
      for (let k = this.starts[g]; k < this.starts[g + 1]; k++) {
        const i = this.order[k];
        if (this.truth[i] === 1) pos[g] += this.draws[i];
        else neg[g] += this.draws[i];
      }
    return { pos, neg };
  }

  /** ROC AUC of the resample (Mann-Whitney, ties one half); null without both classes. */
  auc(indices: Int32Array): number | null {
    const { pos, neg } = this.groupCounts(indices);
    let below = 0;
    let sum = 0;
    let positives = 0;
    for (let g = 0; g < pos.length; g++) {
      sum += pos[g] * (below + 0.5 * neg[g]);
      below += neg[g];
      positives += pos[g];
    }
    return positives === 0 || below === 0 ? null : sum / (positives * below);
  }

  /** The resample's ROC steps from the highest threshold down (as metrics' scoreSteps, with rates). */
  steps(indices: Int32Array): RateStep[] | null {
    const { pos, neg } = this.groupCounts(indices);
    let positives = 0;
    let negatives = 0;
    for (let g = 0; g < pos.length; g++) {
      positives += pos[g];
      negatives += neg[g];
    }
    if (positives === 0 || negatives === 0) return null;
    const steps: RateStep[] = [];
    let tp = 0;
    let fp = 0;
    for (let g = pos.length - 1; g >= 0; g--) {
      if (pos[g] === 0 && neg[g] === 0) continue;
      tp += pos[g];
      fp += neg[g];
      steps.push({
        threshold: this.scores[this.order[this.starts[g]]],
        sensitivity: tp / positives,
        specificity: 1 - fp / negatives,
      });
    }
    return steps;
  }
}

export function aucStatistic(columns: RecordColumns): Statistic {
  const order = new ScoreOrder(columns);
  return (indices) => order.auc(indices);
}

/** A rate of the confusion matrix of `called` against the truth; null when its denominator is 0. */
export function rateStatistic(truth: Uint8Array, called: Uint8Array, rate: Rate): Statistic {
  return (indices) => {
    let tp = 0;
    let fp = 0;
    let tn = 0;
    let fn = 0;
    for (const i of indices) {
      if (truth[i] === 1) {
        if (called[i] === 1) tp++;
        else fn++;
      } else if (called[i] === 1) fp++;
      else tn++;
    }
    const [num, den] =
      rate === 'sensitivity'
        ? [tp, tp + fn]
        : rate === 'specificity'
          ? [tn, tn + fp]
          : rate === 'ppv'
            ? [tp, tp + fp]
            : [tn, tn + fn];
    return den === 0 ? null : num / den;
  };
}

/** Mean of `values` over the resample, or over its positives only; null when there is none. */
export function meanStatistic(values: Float64Array, truth: Uint8Array, over: 'all' | 'positives'): Statistic {
  return (indices) => {
    let sum = 0;
    let n = 0;
    for (const i of indices)
      if (over === 'all' || truth[i] === 1) {
        sum += values[i];
        n++;
      }
    return n === 0 ? null : sum / n;
  };
}

/**
 * Sensitivity at a specificity floor (or specificity at a sensitivity floor), the threshold chosen
 * again on each resample: the interval then includes the uncertainty of where the threshold falls.
 * The rule is metrics/operating-points.ts's, applied to the resample's steps.
 */
export function operatingPointStatistic(
  columns: RecordColumns,
  rule: 'sensitivity-at-specificity' | 'specificity-at-sensitivity',
  target: number,
  report: 'sensitivity' | 'specificity',
): Statistic {
  const order = new ScoreOrder(columns);
  return (indices) => {
    const steps = order.steps(indices);
    if (!steps) return null;
    const point =
      rule === 'sensitivity-at-specificity' ? pointAtSpecificity(steps, target) : pointAtSensitivity(steps, target);
    return point?.[report] ?? null;
  };
}
