// ROC and precision-recall curves of the classifier, with their areas. The points are the steps of
// scoreSteps (one per distinct probability, tied probabilities moving together, so the curve does not
// depend on the order of the input); the areas are src/metrics/classification.ts's rocAuc (the
// trapezoids under the ROC curve, equal to the Mann-Whitney statistic) and averagePrecision
// (scikit-learn's average_precision_score, no interpolation, which would flatter the curve).
import { averagePrecision, rocAuc, scoreSteps } from './classification.js';
import { scoreColumns, type ScoredLabel } from './scored-label.js';

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

export function classifierCurves(records: readonly ScoredLabel[]): Curves {
  const { scores, truth } = scoreColumns(records);
  const steps = scoreSteps(scores, truth);
  const positives = steps.at(-1)?.truePositives ?? 0;
  const negatives = steps.at(-1)?.falsePositives ?? 0;
  const roc: RocPoint[] = [{ threshold: Infinity, falsePositiveRate: 0, truePositiveRate: 0 }];
  if (positives > 0 && negatives > 0)
    for (const s of steps)
      roc.push({
        threshold: s.threshold,
        falsePositiveRate: s.falsePositives / negatives,
        truePositiveRate: s.truePositives / positives,
      });
  const pr: PrPoint[] =
    positives > 0
      ? steps.map((s) => ({
          threshold: s.threshold,
          recall: s.truePositives / positives,
          precision: s.truePositives / (s.truePositives + s.falsePositives),
        }))
      : [];
  return {
    roc,
    pr,
    rocAuc: rocAuc(scores, truth),
    prAuc: averagePrecision(scores, truth),
    positives,
    negatives,
  };
}
