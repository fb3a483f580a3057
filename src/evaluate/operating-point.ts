// Where pneumo chooses its operating point, with the rule written next to the choice so that a report
// or a bundle never holds a threshold without saying what chose it: the defaults a bundle starts
// from, the classifier threshold a training run proposes from its validation scores, and the point
// chosen from an evaluation's threshold sweep (the joint triplet search, triplet-search.ts, builds
// on the same sweep).
import { bestThreshold, type ThresholdObjective } from '../metrics/classification.js';
import type { SweepRow } from './threshold-sweep.js';

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
