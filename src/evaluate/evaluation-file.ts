// evaluation.json: the one type of what `pneumo evaluate` measured, and its one reader and writer.
// Plain numbers throughout, so that a user can put them in a paper's table; docs/evaluation.md
// documents every field. A file without a schema version was written before there was one.
import { readFile, writeFile } from 'node:fs/promises';
import type { PrPoint, RocPoint } from '../metrics/curves.js';
import type { BundleCalibration, BundleThresholds } from '../pipeline/bundle-manifest.js';
import type { TtaName } from '../pipeline/tta.js';
import type { BundlePointEvaluation } from './bundle-point.js';
import type { ClassificationErrors, SegmentationExtremes } from './error-analysis.js';
import type { GalleryGroup } from './gallery.js';
import type { OperatingPoint } from './operating-point.js';
import type { SegmentationAnalysis } from './segmentation-analysis.js';
import type { SweepRow } from './threshold-sweep.js';
import type { TripletScore } from './triplet-search.js';
import type { StudyFigures } from './study.js';
import type { SplitChoice } from './validation-items.js';

export const EVALUATION_FORMAT = 'pneumo-evaluation';
export const EVALUATION_SCHEMA_VERSION = 2;
export const EVALUATION_FILE = 'evaluation.json';

export interface TripletResult {
  /** The chosen triplet: the smallest minimum area within `tolerance` of `top` (see triplet-search.ts). */
  best: TripletScore;
  top: TripletScore;
  tolerance: number;
  /** The bundle's own triplet scored on the same reduced maps, for comparison. */
  bundleTripletScore: number;
  gridPoints: number;
  searchSide: number;
  /** Classifier thresholds searched (those meeting the recall floor, when one is set). */
  classifierThresholds: number[];
  scores: TripletScore[];
}

export interface EvaluationResult {
  format: typeof EVALUATION_FORMAT;
  schemaVersion: typeof EVALUATION_SCHEMA_VERSION;
  bundle: string;
  data: string;
  split: SplitChoice;
  images: number;
  positives: number;
  negatives: number;
  failures: { imageId: string; file: string; reason: string }[];
  /** The test-time augmentation the models ran with (a file written before names were recorded holds a boolean). */
  tta: TtaName;
  /** The bundle's thresholds as they were when these images were evaluated. */
  bundleThresholds: BundleThresholds;
  /** The lead figures: classifier and pipeline at the bundle's own thresholds. */
  atBundleThresholds: BundlePointEvaluation;
  classifier: { rocAuc: number | null; prAuc: number | null; roc: RocPoint[]; pr: PrPoint[] };
  sweep: SweepRow[];
  /**
   * The classifier threshold that would be best on these very images (tuned on this set: an optimistic
   * bound, not a measurement; `--write-bundle` on a validation split is how thresholds get frozen).
   */
  tunedOperatingPoint: OperatingPoint;
  /** The classifier threshold of the error analysis, galleries and hard examples (the bundle's after this run). */
  errorThreshold: number;
  /** Counts of classifier probabilities in 20 bins over [0, 1], per true class. */
  probabilityHistogram: { bins: number; positives: number[]; negatives: number[] };
  segmentation: SegmentationAnalysis;
  triplet: TripletResult | null;
  /** Thresholds written into the bundle (with --write-bundle), else null. */
  writtenThresholds: BundleThresholds | null;
  /** Calibration written into the bundle (with --write-bundle on the validation split), else null. */
  writtenCalibration: BundleCalibration | null;
  /** Intervals, operating points, calibration, subgroups and shortcut probes (study.ts; docs/evaluation.md). */
  study: StudyFigures;
  errors: ClassificationErrors;
  extremes: SegmentationExtremes;
  galleries: GalleryGroup[];
  /** What evaluate wrote; `report` is where the caller puts the HTML report (src/report/evaluation-report.ts). */
  files: { evaluation: string; hardExamples: string; sweepCsv: string; report: string };
  /** Wall time of the model pass, of the study figures (the bootstrap's cost), and of the whole evaluation. */
  seconds: { predict: number; study: number; total: number };
  /** Engine compute threads the evaluation ran with. */
  threads: number;
  /** Per image: id, label, probability, pipeline Dice, segmenter IoU (for the record and further analysis). */
  perImage: {
    imageId: string;
    label: 0 | 1;
    probability: number;
    segmentedDice: number;
    maskFound: boolean;
    iou: number;
  }[];
}

export async function writeEvaluation(file: string, result: EvaluationResult): Promise<void> {
  await writeFile(file, JSON.stringify(result, null, 1) + '\n');
}

/** Reads evaluation.json; a one-line error names the file and what is wrong with it. */
export async function readEvaluation(file: string): Promise<EvaluationResult> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    throw new Error(`${file}: cannot be read (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new Error(`${file}: not valid JSON (${(err as Error).message})`);
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) throw new Error(`${file}: not a JSON object`);
  const o = json as Record<string, unknown>;
  if (o.format !== EVALUATION_FORMAT)
    throw new Error(`${file}: not a pneumo evaluation (format is ${JSON.stringify(o.format)})`);
  if (o.schemaVersion !== EVALUATION_SCHEMA_VERSION)
    throw new Error(
      `${file}: schema version ${JSON.stringify(o.schemaVersion)}; this pneumo reads version ${EVALUATION_SCHEMA_VERSION}`,
    );
  for (const key of ['images', 'positives', 'negatives'] as const)
    if (typeof o[key] !== 'number') throw new Error(`${file}: field "${key}" is missing or not a number`);
  for (const key of ['atBundleThresholds', 'classifier', 'split'] as const)
    if (typeof o[key] !== 'object' || o[key] === null) throw new Error(`${file}: field "${key}" is missing`);
  return json as EvaluationResult;
}
