// The classifier threshold sweep: at each threshold, the classification rates and the SIIM score of
// the whole two-stage pipeline, where an image below the threshold gets an empty mask and an image
// at or above it gets the segmenter's (post-processed) mask.
import { confusionMatrix, metricsFromConfusion, type ThresholdMetrics } from '../metrics/classification.js';
import { scoreColumns, type ScoredLabel } from '../metrics/scored-label.js';

/** One validation image as the pipeline sees it. */
export interface PipelineRecord extends ScoredLabel {
  imageId: string;
  /**
   * Dice (SIIM convention) of the segmenter's post-processed mask against the truth, i.e. the image's
   * score when the classifier lets it through. For a truth-negative image this is 1 when the
   * segmenter's mask is empty and 0 otherwise.
   */
  segmentedDice: number;
  /** Whether a mask survives the pixel threshold and the minimum area (the segmenter finds something). */
  maskFound: boolean;
}

/** Counts and rates at the threshold (an image is called positive when p >= t; a rate over zero is null). */
export interface SweepRow extends ThresholdMetrics {
  /** Mean per-image Dice of the pipeline at this threshold (ARCHITECTURE.md, "SIIM score"). */
  siimScore: number | null;
}

/** Thresholds from `start` to `stop` inclusive by `step`, rounded to avoid 0.30000000000000004. */
export function thresholdGrid(start = 0.05, stop = 0.95, step = 0.05): number[] {
  if (!(step > 0) || !(stop >= start)) throw new RangeError(`threshold grid: bad range ${start}..${stop} step ${step}`);
  const count = Math.floor((stop - start) / step + 1e-9) + 1;
  return Array.from({ length: count }, (_, i) => Number((start + i * step).toFixed(10)));
}

/** The image's Dice when the classifier calls it negative: its mask is empty. */
export function emptyMaskDice(label: 0 | 1): number {
  return label === 1 ? 0 : 1;
}

/** Mean pipeline Dice at one classifier threshold. */
export function pipelineScoreAt(records: readonly PipelineRecord[], threshold: number): number | null {
  if (records.length === 0) return null;
  let sum = 0;
  for (const r of records) sum += r.probability >= threshold ? r.segmentedDice : emptyMaskDice(r.label);
  return sum / records.length;
}

function rowOf(
  records: readonly PipelineRecord[],
  columns: ReturnType<typeof scoreColumns>,
  threshold: number,
): SweepRow {
  const counts = confusionMatrix(columns.scores, columns.truth, threshold);
  return { ...metricsFromConfusion(counts, threshold), siimScore: pipelineScoreAt(records, threshold) };
}

export function sweepRow(records: readonly PipelineRecord[], threshold: number): SweepRow {
  return rowOf(records, scoreColumns(records), threshold);
}

export function sweepThresholds(
  records: readonly PipelineRecord[],
  thresholds: readonly number[] = thresholdGrid(),
): SweepRow[] {
  const columns = scoreColumns(records);
  return thresholds.map((t) => rowOf(records, columns, t));
}
