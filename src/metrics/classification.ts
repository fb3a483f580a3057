// Metrics of a binary classifier from its scores (probabilities or logits) and 0/1 truth.
// - ROC AUC is exact: the Mann-Whitney statistic, P(score of a random positive > score of a random
//   negative) with ties counted one half, from average ranks. It equals the trapezoid area under the
//   ROC curve that sklearn's roc_auc_score computes.
// - PR AUC is average precision as sklearn's average_precision_score computes it: sum over the distinct
//   thresholds, from the highest score down, of (recall_k - recall_{k-1}) * precision_k, where tied
//   scores form one threshold (no interpolation).
// - The rest come from the confusion matrix at a threshold: predicted positive when score >= threshold.
// A metric whose denominator is zero is null (e.g. recall with no positive image), never NaN.

export interface ConfusionMatrix {
  truePositives: number;
  falsePositives: number;
  trueNegatives: number;
  falseNegatives: number;
}

export interface ThresholdMetrics extends ConfusionMatrix {
  threshold: number;
  accuracy: number | null;
  precision: number | null;
  /** Sensitivity. */
  recall: number | null;
  specificity: number | null;
  f1: number | null;
}

export interface ClassificationSummary extends ThresholdMetrics {
  count: number;
  positives: number;
  rocAuc: number | null;
  prAuc: number | null;
}

function checkInputs(scores: ArrayLike<number>, truth: ArrayLike<number>): void {
  if (scores.length !== truth.length)
    throw new Error(`classification metrics: ${scores.length} scores for ${truth.length} labels`);
  for (let i = 0; i < scores.length; i++) {
    if (Number.isNaN(scores[i])) throw new Error(`classification metrics: score ${i} is NaN`);
    if (truth[i] !== 0 && truth[i] !== 1)
      throw new Error(`classification metrics: label ${i} is ${truth[i]}, expected 0 or 1`);
  }
}

const ratio = (a: number, b: number): number | null => (b === 0 ? null : a / b);

export function confusionMatrix(scores: ArrayLike<number>, truth: ArrayLike<number>, threshold = 0.5): ConfusionMatrix {
  checkInputs(scores, truth);
  const m: ConfusionMatrix = { truePositives: 0, falsePositives: 0, trueNegatives: 0, falseNegatives: 0 };
  for (let i = 0; i < scores.length; i++) {
    const predicted = scores[i] >= threshold;
    if (truth[i] === 1) {
      if (predicted) m.truePositives++;
      else m.falseNegatives++;
    } else if (predicted) m.falsePositives++;
    else m.trueNegatives++;
  }
  return m;
}

export function metricsFromConfusion(m: ConfusionMatrix, threshold: number): ThresholdMetrics {
  const { truePositives: tp, falsePositives: fp, trueNegatives: tn, falseNegatives: fn } = m;
  return {
    ...m,
    threshold,
    accuracy: ratio(tp + tn, tp + fp + tn + fn),
    precision: ratio(tp, tp + fp),
    recall: ratio(tp, tp + fn),
    specificity: ratio(tn, tn + fp),
    f1: ratio(2 * tp, 2 * tp + fp + fn),
  };
}

export function thresholdMetrics(
  scores: ArrayLike<number>,
  truth: ArrayLike<number>,
  threshold = 0.5,
): ThresholdMetrics {
  return metricsFromConfusion(confusionMatrix(scores, truth, threshold), threshold);
}

/** Indices sorted by score, highest first. */
function byScoreDescending(scores: ArrayLike<number>): number[] {
  return Array.from({ length: scores.length }, (_, i) => i).sort((a, b) => scores[b] - scores[a]);
}

/** ROC AUC as the Mann-Whitney U statistic over (positives x negatives); null without both classes. */
export function rocAuc(scores: ArrayLike<number>, truth: ArrayLike<number>): number | null {
  checkInputs(scores, truth);
  const order = Array.from({ length: scores.length }, (_, i) => i).sort((a, b) => scores[a] - scores[b]);
  let positives = 0;
  let positiveRankSum = 0;
  for (let start = 0; start < order.length;) {
    let end = start;
    while (end + 1 < order.length && scores[order[end + 1]] === scores[order[start]]) end++;
    const averageRank = (start + end) / 2 + 1; // ranks are 1-based
    for (let k = start; k <= end; k++) {
      if (truth[order[k]] === 1) {
        positives++;
        positiveRankSum += averageRank;
      }
    }
    start = end + 1;
  }
  const negatives = order.length - positives;
  if (positives === 0 || negatives === 0) return null;
  return (positiveRankSum - (positives * (positives + 1)) / 2) / (positives * negatives);
}

/** One distinct score: images scoring at least it are called positive. */
export interface ScoreStep {
  threshold: number;
  /** Positives and negatives scoring >= threshold. */
  truePositives: number;
  falsePositives: number;
}

/**
 * The cumulative counts at each distinct score, highest first: the points of the ROC and PR curves.
 * Tied scores form one step, so the steps do not depend on the order of the input.
 */
export function scoreSteps(scores: ArrayLike<number>, truth: ArrayLike<number>): ScoreStep[] {
  checkInputs(scores, truth);
  const order = byScoreDescending(scores);
  const steps: ScoreStep[] = [];
  let tp = 0;
  let fp = 0;
  for (let start = 0; start < order.length;) {
    let end = start;
    while (end + 1 < order.length && scores[order[end + 1]] === scores[order[start]]) end++;
    for (let k = start; k <= end; k++) {
      if (truth[order[k]] === 1) tp++;
      else fp++;
    }
    steps.push({ threshold: scores[order[start]], truePositives: tp, falsePositives: fp });
    start = end + 1;
  }
  return steps;
}

/** Average precision (sklearn's definition); null with no positive. */
export function averagePrecision(scores: ArrayLike<number>, truth: ArrayLike<number>): number | null {
  const steps = scoreSteps(scores, truth);
  const positives = steps.at(-1)?.truePositives ?? 0;
  if (positives === 0) return null;
  let previousRecall = 0;
  let ap = 0;
  for (const { truePositives: tp, falsePositives: fp } of steps) {
    const recall = tp / positives;
    ap += (recall - previousRecall) * (tp / (tp + fp));
    previousRecall = recall;
  }
  return ap;
}

export function summariseClassification(
  scores: ArrayLike<number>,
  truth: ArrayLike<number>,
  threshold = 0.5,
): ClassificationSummary {
  let positives = 0;
  for (let i = 0; i < truth.length; i++) positives += truth[i] === 1 ? 1 : 0;
  return {
    count: scores.length,
    positives,
    rocAuc: rocAuc(scores, truth),
    prAuc: averagePrecision(scores, truth),
    ...thresholdMetrics(scores, truth, threshold),
  };
}

export type ThresholdObjective = 'f1' | 'youden';

/**
 * The threshold among the distinct scores that maximises F1 or Youden's J (recall + specificity - 1);
 * ties go to the higher threshold (fewer false alarms). Null when a class is missing.
 */
export function bestThreshold(
  scores: ArrayLike<number>,
  truth: ArrayLike<number>,
  objective: ThresholdObjective = 'f1',
): { threshold: number; value: number } | null {
  const steps = scoreSteps(scores, truth);
  const positives = steps.at(-1)?.truePositives ?? 0;
  const negatives = steps.at(-1)?.falsePositives ?? 0;
  if (positives === 0 || negatives === 0) return null;
  let best: { threshold: number; value: number } | null = null;
  for (const { threshold, truePositives: tp, falsePositives: fp } of steps) {
    const fn = positives - tp;
    const value = objective === 'f1' ? (2 * tp) / (2 * tp + fp + fn) : tp / positives - fp / negatives;
    if (!best || value > best.value) best = { threshold, value };
  }
  return best;
}
