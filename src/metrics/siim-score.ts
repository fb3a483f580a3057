// The SIIM-ACR score of a prediction CSV against a truth CSV (ARCHITECTURE.md, "SIIM score"): the mean
// over images of the per-image Dice, with the convention of src/metrics/segmentation.ts (both
// empty: 1). Several rows of one image are OR-ed on both sides. Masks are compared as run intervals
// straight from the RLE, never decoded to pixels, so scoring thousands of images takes milliseconds.
import {
  readLabelCsv,
  requireLabelRows,
  type LabelReadOptions,
  type LabelRowError,
  type LabelTable,
  type RleOption,
} from '../data/labels.js';
import { rleIntervals, SIIM_SIZE, type RleReading } from '../data/rle.js';
import {
  scoreOverlap,
  summariseSegmentation,
  type ImageSegmentationScore,
  type MaskOverlap,
  type SegmentationSummary,
} from './segmentation.js';

export interface SiimScoreOptions {
  /** Score truth images missing from the prediction as empty predictions (Kaggle's behaviour). */
  allTruth?: boolean;
  /** Image size of the RLE; default 1024x1024. */
  width?: number;
  height?: number;
  /** How both files' run starts count (auto decides per file); relative (SIIM) by default. */
  rle?: RleOption;
}

export interface SiimScoreResult {
  /** Mean per-image Dice over the scored images; null when no image was scored. */
  score: number | null;
  /** How each file's run starts were read. */
  rleReadings: { truth: RleReading; prediction: RleReading };
  /** Means and counts over the scored images, also over truth-positive and truth-negative ones. */
  summary: SegmentationSummary;
  /** Per image, in truth file order. */
  perImage: ImageSegmentationScore[];
  /** Distinct images in each file (well-formed rows only). */
  truthImages: number;
  predictionImages: number;
  /** ImageIds in the truth but not in the prediction: scored as empty predictions with allTruth, else left out. */
  onlyInTruth: string[];
  /** ImageIds in the prediction but not in the truth: never scored. */
  onlyInPrediction: string[];
  /** How many of onlyInTruth were scored as empty predictions (all of them with allTruth, else 0). */
  countedAsEmpty: number;
  /** ImageIds left unscored because a row of theirs is malformed in either file. */
  excludedMalformed: string[];
  /** Malformed rows of each file, each naming file, line and image. */
  malformedTruth: LabelRowError[];
  malformedPrediction: LabelRowError[];
  /** Rows repeating an earlier identical row, per file (harmless: OR-ed). */
  duplicateTruthRows: number;
  duplicatePredictionRows: number;
}

function intervalArea(intervals: readonly number[]): number {
  let area = 0;
  for (let i = 0; i < intervals.length; i += 2) area += intervals[i + 1] - intervals[i];
  return area;
}

/** Pixels in both of two sorted, merged interval lists. */
function intervalIntersection(a: readonly number[], b: readonly number[]): number {
  let shared = 0;
  let i = 0;
  let j = 0;
  while (i < a.length && j < b.length) {
    const start = Math.max(a[i], b[j]);
    const end = Math.min(a[i + 1], b[j + 1]);
    if (end > start) shared += end - start;
    if (a[i + 1] < b[j + 1]) i += 2;
    else j += 2;
  }
  return shared;
}

/** Pixel counts of a truth/prediction pair of RLE row sets. */
export function rleOverlap(
  truthRows: readonly string[],
  predictedRows: readonly string[],
  width = SIIM_SIZE,
  height = SIIM_SIZE,
  imageId = '',
): MaskOverlap {
  const truth = rleIntervals(truthRows, width, height, imageId);
  const predicted = rleIntervals(predictedRows, width, height, imageId);
  return {
    intersection: intervalIntersection(truth, predicted),
    truthArea: intervalArea(truth),
    predictedArea: intervalArea(predicted),
  };
}

/** Scores two label tables read with the same image size. */
export function siimScore(truth: LabelTable, prediction: LabelTable, options: SiimScoreOptions = {}): SiimScoreResult {
  const width = options.width ?? SIIM_SIZE;
  const height = options.height ?? SIIM_SIZE;
  const excluded = new Set<string>();
  for (const err of [...truth.malformed, ...prediction.malformed]) if (err.imageId !== null) excluded.add(err.imageId);

  const perImage: ImageSegmentationScore[] = [];
  const onlyInTruth: string[] = [];
  let countedAsEmpty = 0;
  for (const [imageId, truthRows] of truth.images) {
    if (excluded.has(imageId)) continue;
    const predictedRows = prediction.images.get(imageId);
    if (!predictedRows) {
      onlyInTruth.push(imageId);
      if (!options.allTruth) continue;
      countedAsEmpty++;
    }
    const overlap = rleOverlap(
      truthRows.map((r) => r.encodedPixels),
      (predictedRows ?? []).map((r) => r.encodedPixels),
      width,
      height,
      imageId,
    );
    perImage.push(scoreOverlap(imageId, overlap));
  }
  // A truth image whose only rows were malformed is absent from truth.images but must not count as "only in prediction".
  const onlyInPrediction = [...prediction.images.keys()].filter((id) => !truth.images.has(id) && !excluded.has(id));
  const summary = summariseSegmentation(perImage);
  return {
    score: summary.meanDice,
    summary,
    rleReadings: { truth: truth.rleReading, prediction: prediction.rleReading },
    perImage,
    truthImages: truth.images.size,
    predictionImages: prediction.images.size,
    onlyInTruth,
    onlyInPrediction,
    countedAsEmpty,
    excludedMalformed: [...excluded],
    malformedTruth: truth.malformed,
    malformedPrediction: prediction.malformed,
    duplicateTruthRows: truth.duplicateRowCount,
    duplicatePredictionRows: prediction.duplicateRowCount,
  };
}

/** Reads both CSVs (runs checked against the same image size) and scores them. */
export async function scoreLabelFiles(
  truthFile: string,
  predictionFile: string,
  options: SiimScoreOptions = {},
): Promise<SiimScoreResult> {
  const read: LabelReadOptions = { width: options.width, height: options.height, rle: options.rle };
  const [truth, prediction] = await Promise.all([readLabelCsv(truthFile, read), readLabelCsv(predictionFile, read)]);
  return siimScore(requireLabelRows(truth), requireLabelRows(prediction), options);
}
