// Calibration of predicted probabilities: does "p = 0.8" come true 80% of the time?
// - Reliability diagram: equal-width bins over [0, 1] (the last bin includes 1), each with its count,
//   mean predicted probability and observed rate of positives.
// - Expected calibration error: sum over bins of (count / N) * |observed rate - mean probability|.
// - Brier score: mean of (p - y)^2.
// - Temperature scaling (Guo et al. 2017): p' = sigmoid(logit(p) / T) with one T > 0 fitted by
//   minimising the negative log-likelihood. It changes no ranking (AUC is the same), only how
//   confident the probabilities are; T > 1 softens an over-confident model.

export interface ReliabilityBin {
  lower: number;
  upper: number;
  count: number;
  positives: number;
  /** Null for an empty bin. */
  meanProbability: number | null;
  observedRate: number | null;
}

export interface CalibrationSummary {
  bins: ReliabilityBin[];
  expectedCalibrationError: number | null;
  brierScore: number | null;
}

function check(probabilities: ArrayLike<number>, truth: ArrayLike<number>): void {
  if (probabilities.length !== truth.length)
    throw new Error(`calibration: ${probabilities.length} probabilities for ${truth.length} labels`);
  for (let i = 0; i < probabilities.length; i++) {
    const p = probabilities[i];
    if (!(p >= 0 && p <= 1)) throw new Error(`calibration: probability ${i} is ${p}, expected a number in [0, 1]`);
    if (truth[i] !== 0 && truth[i] !== 1) throw new Error(`calibration: label ${i} is ${truth[i]}, expected 0 or 1`);
  }
}

export function reliabilityBins(
  probabilities: ArrayLike<number>,
  truth: ArrayLike<number>,
  bins = 10,
): ReliabilityBin[] {
  check(probabilities, truth);
  const count = new Array<number>(bins).fill(0);
  const positives = new Array<number>(bins).fill(0);
  const sum = new Array<number>(bins).fill(0);
  for (let i = 0; i < probabilities.length; i++) {
    const b = Math.min(bins - 1, Math.floor(probabilities[i] * bins));
    count[b]++;
    positives[b] += truth[i];
    sum[b] += probabilities[i];
  }
  return count.map((c, b) => ({
    lower: b / bins,
    upper: (b + 1) / bins,
    count: c,
    positives: positives[b],
    meanProbability: c === 0 ? null : sum[b] / c,
    observedRate: c === 0 ? null : positives[b] / c,
  }));
}

export function expectedCalibrationError(binsOf: readonly ReliabilityBin[]): number | null {
  const total = binsOf.reduce((n, b) => n + b.count, 0);
  if (total === 0) return null;
  let ece = 0;
  for (const b of binsOf) if (b.count > 0) ece += (b.count / total) * Math.abs(b.observedRate! - b.meanProbability!);
  return ece;
}

export function brierScore(probabilities: ArrayLike<number>, truth: ArrayLike<number>): number | null {
  check(probabilities, truth);
  if (probabilities.length === 0) return null;
  let sum = 0;
  for (let i = 0; i < probabilities.length; i++) sum += (probabilities[i] - truth[i]) ** 2;
  return sum / probabilities.length;
}

export function summariseCalibration(
  probabilities: ArrayLike<number>,
  truth: ArrayLike<number>,
  bins = 10,
): CalibrationSummary {
  const b = reliabilityBins(probabilities, truth, bins);
  return {
    bins: b,
    expectedCalibrationError: expectedCalibrationError(b),
    brierScore: brierScore(probabilities, truth),
  };
}

/** Probabilities are kept this far from 0 and 1, so that their logits stay finite. */
const EPSILON = 1e-7;

export function logit(p: number): number {
  const q = Math.min(1 - EPSILON, Math.max(EPSILON, p));
  return Math.log(q / (1 - q));
}

export function sigmoid(z: number): number {
  return z >= 0 ? 1 / (1 + Math.exp(-z)) : Math.exp(z) / (1 + Math.exp(z));
}

export function applyTemperature(probability: number, temperature: number): number {
  return sigmoid(logit(probability) / temperature);
}

/** Mean negative log-likelihood of the labels under sigmoid(a * logit), a = 1 / T. */
function nll(logits: Float64Array, truth: ArrayLike<number>, a: number): number {
  let sum = 0;
  for (let i = 0; i < logits.length; i++) {
    const z = a * logits[i];
    // log(1 + e^z) - y z, written to stay finite for large |z|.
    sum += (z > 0 ? z + Math.log1p(Math.exp(-z)) : Math.log1p(Math.exp(z))) - truth[i] * z;
  }
  return sum / logits.length;
}

export const TEMPERATURE_RANGE: readonly [number, number] = [0.05, 20];

/**
 * The temperature that minimises the NLL of the labels. The NLL is convex in a = 1 / T (a logistic
 * regression on the logit with one coefficient and no intercept), so a golden-section search over a
 * in [1 / 20, 1 / 0.05] finds its minimum; the result is clamped to that range.
 */
export function fitTemperature(probabilities: ArrayLike<number>, truth: ArrayLike<number>): number {
  check(probabilities, truth);
  if (probabilities.length === 0) throw new Error('temperature scaling: no probabilities to fit on');
  const logits = Float64Array.from({ length: probabilities.length }, (_, i) => logit(probabilities[i]));
  const ratio = (Math.sqrt(5) - 1) / 2;
  let lo = 1 / TEMPERATURE_RANGE[1];
  let hi = 1 / TEMPERATURE_RANGE[0];
  let x1 = hi - ratio * (hi - lo);
  let x2 = lo + ratio * (hi - lo);
  let f1 = nll(logits, truth, x1);
  let f2 = nll(logits, truth, x2);
  for (let i = 0; i < 100 && hi - lo > 1e-9; i++) {
    if (f1 <= f2) {
      hi = x2;
      x2 = x1;
      f2 = f1;
      x1 = hi - ratio * (hi - lo);
      f1 = nll(logits, truth, x1);
    } else {
      lo = x1;
      x1 = x2;
      f1 = f2;
      x2 = lo + ratio * (hi - lo);
      f2 = nll(logits, truth, x2);
    }
  }
  return 1 / ((lo + hi) / 2);
}
