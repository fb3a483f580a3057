// Confusion counts of a binary decision "probability reaches the threshold" against true labels, and
// the rates derived from them. A rate whose denominator is zero is null (undefined), never 0 or NaN,
// so that a report shows "n/a" instead of a misleading number.
//
// Interim: issue 5 puts classification metrics in src/train/classification-metrics.ts (branch train).
// When it lands, the rates below should come from there and this file keeps only what the sweep needs.

/** One image as the classifier saw it. */
export interface ScoredLabel {
  probability: number;
  label: 0 | 1;
}

export interface ConfusionCounts {
  truePositives: number;
  falsePositives: number;
  trueNegatives: number;
  falseNegatives: number;
}

export interface ClassificationRates {
  precision: number | null;
  /** Sensitivity: share of true positives found. */
  recall: number | null;
  specificity: number | null;
  f1: number | null;
  accuracy: number | null;
}

/** An image is called positive when its probability reaches the threshold (p >= t). */
export function isCalledPositive(probability: number, threshold: number): boolean {
  return probability >= threshold;
}

export function confusionAt(records: readonly ScoredLabel[], threshold: number): ConfusionCounts {
  const counts: ConfusionCounts = { truePositives: 0, falsePositives: 0, trueNegatives: 0, falseNegatives: 0 };
  for (const { probability, label } of records) {
    const called = isCalledPositive(probability, threshold);
    if (label === 1) {
      if (called) counts.truePositives++;
      else counts.falseNegatives++;
    } else if (called) counts.falsePositives++;
    else counts.trueNegatives++;
  }
  return counts;
}

const ratio = (numerator: number, denominator: number): number | null =>
  denominator === 0 ? null : numerator / denominator;

export function ratesOf(c: ConfusionCounts): ClassificationRates {
  const precision = ratio(c.truePositives, c.truePositives + c.falsePositives);
  const recall = ratio(c.truePositives, c.truePositives + c.falseNegatives);
  const f1 = ratio(2 * c.truePositives, 2 * c.truePositives + c.falsePositives + c.falseNegatives);
  const total = c.truePositives + c.falsePositives + c.trueNegatives + c.falseNegatives;
  return {
    precision,
    recall,
    specificity: ratio(c.trueNegatives, c.trueNegatives + c.falsePositives),
    f1,
    accuracy: ratio(c.truePositives + c.trueNegatives, total),
  };
}
