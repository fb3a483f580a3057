// Where pneumo chooses its operating point, with the rule written next to the choice so that a report
// or a bundle never holds a threshold without saying what chose it: the defaults a bundle starts
// from, the classifier threshold a training run proposes from its validation scores, and the point
// chosen from an evaluation's threshold sweep (the joint triplet search, triplet-search.ts, builds
// on the same sweep), and the bundle's triage point (the highest specificity at a recall floor).
import { bestThreshold, type ThresholdObjective } from '../metrics/classification.js';
import { thresholdGrid, type SweepRow } from './threshold-sweep.js';
import {
  countImage,
  DEFAULT_TRIPLET_GRID,
  imageDice,
  maskSurvives,
  type ImageCounts,
  type Triplet,
  type TripletImage,
} from './triplet-search.js';

/** A bundle's thresholds before any rule chose them: p >= 0.5 and q > 0.5, no minimum area. */
export const DEFAULT_THRESHOLDS = { classifier: 0.5, pixel: 0.5, minArea: 0 } as const;

/**
 * The classifier threshold a training run proposes from its validation scores: the distinct score
 * that maximises F1 or Youden's J (ties to the higher threshold). Null when a class is missing.
 */
export function proposeClassifierThreshold(
  scores: ArrayLike<number>,
  truth: ArrayLike<number>,
  rule: ThresholdObjective,
): number | null {
  return bestThreshold(scores, truth, rule)?.threshold ?? null;
}

export type OperatingObjective = { kind: 'max-siim' } | { kind: 'min-recall'; floor: number };

export interface OperatingPoint {
  threshold: number;
  objective: OperatingObjective;
  /** The objective in words, for reports and the CLI. */
  description: string;
  /** False when no threshold met the recall floor; the point is then the highest-recall one. */
  constraintMet: boolean;
  row: SweepRow;
}

export function describeObjective(objective: OperatingObjective): string {
  return objective.kind === 'max-siim'
    ? 'maximise the SIIM score of the two-stage pipeline'
    : `maximise the SIIM score of the pipeline subject to recall >= ${objective.floor}`;
}

// Ties in the score go to the higher threshold: the same score with fewer images sent to the segmenter.
function better(a: SweepRow, b: SweepRow): boolean {
  const sa = a.siimScore ?? -Infinity;
  const sb = b.siimScore ?? -Infinity;
  return sa > sb || (sa === sb && a.threshold > b.threshold);
}

/** Picks the operating point from a sweep; throws on an empty sweep. */
export function chooseOperatingPoint(
  rows: readonly SweepRow[],
  objective: OperatingObjective = { kind: 'max-siim' },
): OperatingPoint {
  if (rows.length === 0) throw new Error('operating point: the threshold sweep is empty');
  let candidates = rows;
  let constraintMet = true;
  if (objective.kind === 'min-recall') {
    if (!(objective.floor >= 0 && objective.floor <= 1))
      throw new RangeError(`recall floor must be in [0, 1], got ${objective.floor}`);
    candidates = rows.filter((r) => r.recall !== null && r.recall >= objective.floor);
    if (candidates.length === 0) {
      constraintMet = false;
      const bestRecall = Math.max(...rows.map((r) => r.recall ?? -1));
      candidates = rows.filter((r) => (r.recall ?? -1) === bestRecall);
    }
  }
  let best = candidates[0];
  for (const row of candidates) if (better(row, best)) best = row;
  let description = describeObjective(objective);
  if (!constraintMet) description += ` (not met: the highest recall on the grid is ${best.recall ?? 'n/a'})`;
  return { threshold: best.threshold, objective, description, constraintMet, row: best };
}

// The triage point. A worklist flag is what must catch the untreated patient, and the flag is the
// pipeline's decision (the classifier passes the image AND a mask survives the pixel threshold and the
// minimum area: Prediction.decision), not the classifier's alone: an image the classifier passes but
// whose mask vanishes is not flagged. So the rule reads recall and specificity off the pipeline, and
// searches all three thresholds: a lower pixel threshold or minimum area can keep a small
// pneumothorax's mask that the SIIM point drops.

/** The recall floor of the triage point unless one is given (--triage-recall). */
export const DEFAULT_TRIAGE_RECALL = 0.9;

/**
 * The triage search's grid: pixel thresholds reach lower than the SIIM search's, for faint small masks,
 * and the minimum area stays a speckle filter: never larger than the smallest pneumothoraces (SIIM's
 * lowest size band is below 0.4% of the film, about 4,200 px at 1024x1024). A larger one buys
 * specificity on a small validation split by dropping exactly the small pneumothoraces a triage flag
 * exists to catch.
 */
export const TRIAGE_MAX_MIN_AREA = 500;
export const TRIAGE_GRID = {
  pixelThresholds: thresholdGrid(0.05, 0.8, 0.05),
  minAreas: DEFAULT_TRIPLET_GRID.minAreas.filter((a) => a <= TRIAGE_MAX_MIN_AREA),
} as const;

/** The pipeline at one triplet on the validation images. */
export interface PipelinePoint extends Triplet {
  /** Share of the positives flagged; null without positives. */
  recall: number | null;
  /** Share of the negatives not flagged; null without negatives. */
  specificity: number | null;
  siimScore: number;
}

export interface TriagePoint {
  point: PipelinePoint;
  floor: number;
  /** False when no triplet reached the floor: the point is then the highest recall (at its best specificity). */
  floorMet: boolean;
  /** The rule in words, with what happened when the floor was out of reach. */
  description: string;
}

export function describeTriageRule(floor: number): string {
  return `the highest pipeline specificity whose recall is at least ${floor} (flag: the classifier passes the image and a mask survives the pixel threshold and the minimum area)`;
}

const rateOf = (num: number, den: number) => (den === 0 ? null : num / den);

/** Recall, specificity and SIIM score of the pipeline at one triplet (the thresholds' own grid point). */
export function pipelinePoint(images: readonly TripletImage[], triplet: Triplet): PipelinePoint {
  const counts = images.map((image) => countImage(image, [triplet.pixelThreshold]));
  let tp = 0;
  let fp = 0;
  let positives = 0;
  let dice = 0;
  for (const c of counts) {
    const flagged = c.probability >= triplet.classifierThreshold && maskSurvives(c, 0, triplet.minArea);
    if (c.label === 1) {
      positives++;
      if (flagged) tp++;
    } else if (flagged) fp++;
    dice += imageDice(c, triplet.classifierThreshold, 0, triplet.minArea);
  }
  const negatives = counts.length - positives;
  return {
    ...triplet,
    recall: rateOf(tp, positives),
    specificity: rateOf(negatives - fp, negatives),
    siimScore: counts.length === 0 ? 0 : dice / counts.length,
  };
}

// Ties in specificity go to the higher recall, then the better SIIM score (the masks a reader sees),
// then the higher classifier threshold, the larger minimum area and the higher pixel threshold.
function betterTriage(a: PipelinePoint, b: PipelinePoint): boolean {
  const keys: (keyof PipelinePoint)[] = ['specificity', 'recall', 'siimScore', 'classifierThreshold', 'minArea'];
  for (const key of keys) {
    const x = (a[key] as number | null) ?? -1;
    const y = (b[key] as number | null) ?? -1;
    if (x !== y) return x > y;
  }
  return a.pixelThreshold > b.pixelThreshold;
}

/**
 * The triage point on validation images: over the pixel thresholds and minimum areas of the grid, and
 * every distinct classifier probability as the classifier threshold, the triplet of highest pipeline
 * specificity whose recall is at least `floor`. When no triplet reaches the floor (the segmenter finds
 * no mask on too many positives), the point of highest recall, and `floorMet` says so. Throws without
 * a positive image.
 */
export function chooseTriagePoint(
  images: readonly TripletImage[],
  options: { floor?: number; grid?: { pixelThresholds: readonly number[]; minAreas: readonly number[] } } = {},
): TriagePoint {
  const floor = options.floor ?? DEFAULT_TRIAGE_RECALL;
  if (!(floor >= 0 && floor <= 1)) throw new RangeError(`triage recall floor must be in [0, 1], got ${floor}`);
  const grid = options.grid ?? TRIAGE_GRID;
  const counts = images.map((image) => countImage(image, grid.pixelThresholds));
  const positives = counts.filter((c) => c.label === 1).length;
  const negatives = counts.length - positives;
  if (positives === 0) throw new Error('triage point: no positive image among the validation images');
  let meeting: PipelinePoint | null = null;
  let highest: PipelinePoint | null = null;
  for (let k = 0; k < grid.pixelThresholds.length; k++) {
    for (const minArea of grid.minAreas) {
      // The images with a surviving mask, from the highest probability down: lowering the classifier
      // threshold past each distinct probability flags that group, so recall only rises and
      // specificity only falls along the walk.
      const survivors = counts.filter((c) => maskSurvives(c, k, minArea)).sort((a, b) => b.probability - a.probability);
      const reachable = survivors.filter((c) => c.label === 1).length;
      if (reachable === 0) continue;
      const at = (t: number, tp: number, fp: number) =>
        scored(counts, t, k, grid.pixelThresholds[k], minArea, tp, fp, positives, negatives);
      let tp = 0;
      let fp = 0;
      let reached = false;
      for (let i = 0; i < survivors.length;) {
        const t = survivors[i].probability;
        for (; i < survivors.length && survivors[i].probability === t; i++) {
          if (survivors[i].label === 1) tp++;
          else fp++;
        }
        if (!reached && tp / positives >= floor) {
          reached = true;
          const point = at(t, tp, fp);
          if (meeting === null || betterTriage(point, meeting)) meeting = point;
        }
        // This pair's highest recall, first reached here, at its best specificity.
        if (tp === reachable) {
          const point = at(t, tp, fp);
          const [r, h] = [point.recall ?? 0, highest?.recall ?? -1];
          if (r > h || (r === h && betterTriage(point, highest!))) highest = point;
          break;
        }
      }
    }
  }
  const description = describeTriageRule(floor);
  if (meeting) return { point: meeting, floor, floorMet: true, description };
  if (highest === null)
    return {
      // No positive's mask survives anywhere on the grid: none can be flagged; the loosest triplet says so.
      point: pipelinePoint(images, { classifierThreshold: 0, pixelThreshold: grid.pixelThresholds[0], minArea: 0 }),
      floor,
      floorMet: false,
      description: `${description} (not met: no mask survives on any validation positive)`,
    };
  return {
    point: highest,
    floor,
    floorMet: false,
    description: `${description} (not met: the highest recall on validation is ${highest.recall!.toFixed(3)})`,
  };
}

function scored(
  counts: readonly ImageCounts[],
  t: number,
  k: number,
  pixelThreshold: number,
  minArea: number,
  tp: number,
  fp: number,
  positives: number,
  negatives: number,
): PipelinePoint {
  let dice = 0;
  for (const c of counts) dice += imageDice(c, t, k, minArea);
  return {
    classifierThreshold: t,
    pixelThreshold,
    minArea,
    recall: rateOf(tp, positives),
    specificity: rateOf(negatives - fp, negatives),
    siimScore: dice / counts.length,
  };
}
