// The statistics a clinical evaluation puts intervals on, as functions of a bootstrap resample
// (src/metrics/bootstrap.ts: indices into the records, with repeats). Each image's facts are taken
// once into columns; a statistic then gathers or counts over the indices it is given.
//   - AUC: the classifier's ROC AUC (Mann-Whitney);
//   - rates at a fixed classifier threshold, for the classifier alone or the pipeline (which calls an
//     image positive only when the classifier passes it and a mask survives, as bundle-point.ts);
//   - the pipeline's SIIM score and its mean Dice on positives (a missed image scores 0).
import type { Statistic } from '../metrics/bootstrap.js';
import { rocAuc } from '../metrics/classification.js';
import { sensitivityAtSpecificity, specificityAtSensitivity } from '../metrics/operating-points.js';
import { emptyMaskDice, type PipelineRecord } from './threshold-sweep.js';

export type Rate = 'sensitivity' | 'specificity' | 'ppv' | 'npv';

export class RecordColumns {
  readonly scores: Float64Array;
  readonly truth: Uint8Array;
  readonly segmentedDice: Float64Array;
  readonly maskFound: Uint8Array;
  private readonly gatheredScores: Float64Array;
  private readonly gatheredTruth: Uint8Array;

  constructor(records: readonly PipelineRecord[]) {
    this.scores = Float64Array.from(records, (r) => r.probability);
    this.truth = Uint8Array.from(records, (r) => r.label);
    this.segmentedDice = Float64Array.from(records, (r) => r.segmentedDice);
    this.maskFound = Uint8Array.from(records, (r) => (r.maskFound ? 1 : 0));
    this.gatheredScores = new Float64Array(records.length);
    this.gatheredTruth = new Uint8Array(records.length);
  }

  get length(): number {
    return this.truth.length;
  }

  /** Scores and truth of the resample, in scratch buffers reused from call to call. */
  gather(indices: Int32Array): { scores: Float64Array; truth: Uint8Array } {
    const n = indices.length;
    for (let k = 0; k < n; k++) {
      this.gatheredScores[k] = this.scores[indices[k]];
      this.gatheredTruth[k] = this.truth[indices[k]];
    }
    return { scores: this.gatheredScores.subarray(0, n), truth: this.gatheredTruth.subarray(0, n) };
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

export function aucStatistic(columns: RecordColumns): Statistic {
  return (indices) => {
    const { scores, truth } = columns.gather(indices);
    return rocAuc(scores, truth);
  };
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
 */
export function operatingPointStatistic(
  columns: RecordColumns,
  rule: 'sensitivity-at-specificity' | 'specificity-at-sensitivity',
  target: number,
  report: 'sensitivity' | 'specificity',
): Statistic {
  const choose = rule === 'sensitivity-at-specificity' ? sensitivityAtSpecificity : specificityAtSensitivity;
  return (indices) => {
    const { scores, truth } = columns.gather(indices);
    return choose(scores, truth, target)?.[report] ?? null;
  };
}
