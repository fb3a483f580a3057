// Operating points read off the ROC curve's steps (scoreSteps: one per distinct score, called
// positive when score >= threshold): the best sensitivity among thresholds whose specificity reaches a
// target, and the best specificity among those whose sensitivity reaches one. These are the figures
// a triage device is compared on ("sensitivity at 90% specificity").
import { scoreSteps } from './classification.js';

export interface RocOperatingPoint {
  /** Called positive when score >= threshold; null when only calling nothing positive meets the target. */
  threshold: number | null;
  sensitivity: number;
  specificity: number;
}

function stepsWithRates(scores: ArrayLike<number>, truth: ArrayLike<number>): RateStep[] | null {
  const steps = scoreSteps(scores, truth);
  const positives = steps.at(-1)?.truePositives ?? 0;
  const negatives = steps.at(-1)?.falsePositives ?? 0;
  if (positives === 0 || negatives === 0) return null;
  return steps.map((s) => ({
    threshold: s.threshold,
    sensitivity: s.truePositives / positives,
    specificity: 1 - s.falsePositives / negatives,
  }));
}

/** One ROC step with its rates, as the operating-point rules read them. */
export type RateStep = { threshold: number; sensitivity: number; specificity: number };

/** The rule of sensitivityAtSpecificity on steps ordered from the highest threshold down. */
export function pointAtSpecificity(steps: readonly RateStep[], target: number): RocOperatingPoint {
  // Specificity falls and sensitivity rises along the steps.
  let best: RocOperatingPoint = { threshold: null, sensitivity: 0, specificity: 1 };
  for (const s of steps) {
    if (s.specificity < target) break;
    best = s;
  }
  return best;
}

/** The rule of specificityAtSensitivity on steps ordered from the highest threshold down. */
export function pointAtSensitivity(steps: readonly RateStep[], target: number): RocOperatingPoint | null {
  return steps.find((s) => s.sensitivity >= target) ?? null;
}

type CurveRule = (steps: readonly RateStep[], target: number) => RocOperatingPoint | null;

/** A rule over the ROC steps of scores against truth; null without both classes. */
function onCurve(
  rule: CurveRule,
  scores: ArrayLike<number>,
  truth: ArrayLike<number>,
  target: number,
): RocOperatingPoint | null {
  const steps = stepsWithRates(scores, truth);
  return steps ? rule(steps, target) : null;
}

/** Highest sensitivity with specificity >= target (the lowest such threshold); null without both classes. */
export const sensitivityAtSpecificity = (scores: ArrayLike<number>, truth: ArrayLike<number>, target: number) =>
  onCurve(pointAtSpecificity, scores, truth, target);

/** Highest specificity with sensitivity >= target (the highest such threshold); null without both classes. */
export const specificityAtSensitivity = (scores: ArrayLike<number>, truth: ArrayLike<number>, target: number) =>
  onCurve(pointAtSensitivity, scores, truth, target);
