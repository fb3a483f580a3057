// ROC and precision-recall curves of the classifier, with their areas. Images are ranked by
// probability; tied probabilities move together (one point per distinct probability), so the curve
// does not depend on the order of the input.
//   ROC AUC: trapezoids under (false positive rate, true positive rate), from (0,0) to (1,1); equal to
//   the probability that a random positive outranks a random negative, ties counting one half.
//   PR AUC: average precision, sum over thresholds of (recall step) x precision, as scikit-learn's
//   average_precision_score (no interpolation, which would flatter the curve).
import type { ScoredLabel } from './confusion.js';

export interface RocPoint {
  /** The curve point is "called positive when p >= threshold". */
  threshold: number;
  falsePositiveRate: number;
  truePositiveRate: number;
}

export interface PrPoint {
  threshold: number;
  recall: number;
  precision: number;
}

export interface Curves {
  roc: RocPoint[];
  pr: PrPoint[];
  /** Null when one class is absent (the curve is undefined). */
  rocAuc: number | null;
  prAuc: number | null;
  positives: number;
  negatives: number;
}

/** Cumulative (true positives, false positives) at each distinct probability, highest first. */
function cumulativeCounts(records: readonly ScoredLabel[]): { threshold: number; tp: number; fp: number }[] {
  const sorted = [...records].sort((a, b) => b.probability - a.probability);
  const steps: { threshold: number; tp: number; fp: number }[] = [];
  let tp = 0;
  let fp = 0;
  for (let i = 0; i < sorted.length; i++) {
    if (sorted[i].label === 1) tp++;
    else fp++;
    if (i === sorted.length - 1 || sorted[i + 1].probability !== sorted[i].probability)
      steps.push({ threshold: sorted[i].probability, tp, fp });
  }
  return steps;
}

export function classifierCurves(records: readonly ScoredLabel[]): Curves {
  const positives = records.filter((r) => r.label === 1).length;
  const negatives = records.length - positives;
  const steps = cumulativeCounts(records);
  const roc: RocPoint[] = [{ threshold: Infinity, falsePositiveRate: 0, truePositiveRate: 0 }];
  const pr: PrPoint[] = [];
  let rocAuc: number | null = null;
  let prAuc: number | null = null;
  if (positives > 0 && negatives > 0) {
    rocAuc = 0;
    for (const s of steps) {
      const previous = roc[roc.length - 1];
      const point = { threshold: s.threshold, falsePositiveRate: s.fp / negatives, truePositiveRate: s.tp / positives };
      rocAuc +=
        ((point.falsePositiveRate - previous.falsePositiveRate) *
          (point.truePositiveRate + previous.truePositiveRate)) /
        2;
      roc.push(point);
    }
  }
  if (positives > 0) {
    prAuc = 0;
    let previousRecall = 0;
    for (const s of steps) {
      const point = { threshold: s.threshold, recall: s.tp / positives, precision: s.tp / (s.tp + s.fp) };
      prAuc += (point.recall - previousRecall) * point.precision;
      previousRecall = point.recall;
      pr.push(point);
    }
  }
  return { roc, pr, rocAuc, prAuc, positives, negatives };
}
