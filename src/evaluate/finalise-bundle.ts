// What a bundle learns from its validation images once its two models exist: the `siim` operating
// point (the joint triplet search for the best SIIM score), the `triage` point (the highest
// specificity at a recall floor, operating-point.ts) and the classifier's temperature, written into
// bundle.json in one write, each with the rule and the images that chose it. `pneumo bundle` runs it
// on the runs' own validation split, `pneumo evaluate --write-bundle` on the split it evaluated, and
// `pneumo fit` after training; the demo through evaluate.
import { fitTemperature } from '../metrics/calibration.js';
import { scoreColumns } from '../metrics/scored-label.js';
import type {
  BundleCalibration,
  BundleManifest,
  BundleOperatingPoint,
  BundleOperatingPoints,
} from '../pipeline/bundle-manifest.js';
import { readBundleManifest, updateBundleOperatingPoints } from '../pipeline/bundle.js';
import { Predictor, type PredictorOptions } from '../pipeline/predictor.js';
import { collectPredictions } from './collect-predictions.js';
import { chooseTriagePoint, pipelinePoint, type TriagePoint } from './operating-point.js';
import { chooseThresholds, chosenThresholds, siimRule, type ThresholdChoice } from './threshold-choice.js';
import type { PipelineRecord } from './threshold-sweep.js';
import { calibrationFigures, type CalibrationFigures } from './study.js';
import { RecordColumns } from './study-statistics.js';
import type { TripletImage } from './triplet-search.js';
import { bundleSplitItems, splitText, type SplitChoice } from './validation-items.js';

/** Validation predictions as collect-predictions.ts gathers them (records and maps in the same order). */
export interface ValidationPredictions {
  records: readonly PipelineRecord[];
  tripletImages: readonly TripletImage[];
}

export interface FinaliseOptions {
  /** The images, in words (validation-items.ts splitText): recorded as each point's `split`. */
  split: string;
  /** The triage point's recall floor; default DEFAULT_TRIAGE_RECALL (0.9). */
  triageRecall?: number;
  /** The siim point's search: best SIIM score subject to recall >= this (default: none). */
  minRecall?: number;
  /** Fit the temperature too (default true); false for images that are not a validation split. */
  calibrate?: boolean;
  /** A threshold choice already made on these predictions (evaluate's), to not search twice. */
  choice?: ThresholdChoice;
}

export interface FinalisedBundle {
  manifest: BundleManifest;
  points: BundleOperatingPoints;
  triage: TriagePoint;
  /** The siim point's search (sweep and triplet grid), as evaluate reports it. */
  choice: ThresholdChoice;
  calibration: BundleCalibration | null;
  /** Reliability on the validation images before and after the fitted temperature (null without one). */
  calibrationCheck: CalibrationFigures | null;
}

/**
 * Chooses the siim and triage points and fits the temperature on validation predictions, and writes
 * them into the bundle at `bundleDir` (thresholds = the siim point, for older readers).
 */
export async function finaliseBundle(
  bundleDir: string,
  predictions: ValidationPredictions,
  options: FinaliseOptions,
): Promise<FinalisedBundle> {
  const { records, tripletImages } = predictions;
  if (records.length === 0) throw new Error('finalising the bundle: no validation prediction');
  const before = await readBundleManifest(bundleDir);
  const choice =
    options.choice?.triplet != null
      ? options.choice
      : chooseThresholds(records, tripletImages, before.thresholds, {
          minRecall: options.minRecall,
          searchTriplet: true,
        });
  const at = new Date().toISOString();
  const siimThresholds = chosenThresholds(choice, before.thresholds);
  const siimFigures = pipelinePoint(tripletImages, {
    classifierThreshold: siimThresholds.classifier,
    pixelThreshold: siimThresholds.pixel,
    minArea: siimThresholds.minArea,
  });
  const siim: BundleOperatingPoint = {
    ...siimThresholds,
    source: {
      rule: siimRule(choice),
      split: options.split,
      images: records.length,
      at,
      siimScore: choice.triplet ? choice.triplet.best.siimScore : choice.operatingPoint.row.siimScore,
    },
    recall: siimFigures.recall,
    specificity: siimFigures.specificity,
    recallFloor: choice.objective.kind === 'min-recall' ? choice.objective.floor : null,
    floorMet: choice.objective.kind === 'min-recall' ? choice.operatingPoint.constraintMet : null,
  };
  const triage = chooseTriagePoint(tripletImages, { floor: options.triageRecall });
  const t = triage.point;
  const triagePoint: BundleOperatingPoint = {
    classifier: t.classifierThreshold,
    pixel: t.pixelThreshold,
    minArea: t.minArea,
    source: { rule: triage.description, split: options.split, images: records.length, at, siimScore: t.siimScore },
    recall: t.recall,
    specificity: t.specificity,
    recallFloor: triage.floor,
    floorMet: triage.floorMet,
  };
  let calibration: BundleCalibration | null = null;
  if (options.calibrate !== false) {
    const { scores, truth } = scoreColumns(records);
    calibration = {
      method: 'temperature',
      temperature: fitTemperature(scores, truth),
      fittedOn: options.split,
      n: scores.length,
    };
  }
  const calibrationCheck = calibration ? calibrationFigures(new RecordColumns(records), calibration) : null;
  const points = { siim, triage: triagePoint };
  const manifest = await updateBundleOperatingPoints(bundleDir, points, calibration ?? undefined);
  return { manifest, points, triage, choice, calibration, calibrationCheck };
}

export interface FinaliseOnDataOptions extends Pick<
  PredictorOptions,
  'tta' | 'threads' | 'precision' | 'device' | 'runtime' | 'modelFactory'
> {
  /** The dataset folder whose validation split (the bundle's provenance) chooses the points. */
  data: string;
  labels?: string;
  triageRecall?: number;
  batchSize?: number;
  onProgress?: (done: number, total: number) => void;
}

/**
 * `pneumo bundle`'s step: both models over the validation split of `data` (the fraction and seed the
 * runs recorded, checked against the bundle's training images), then finaliseBundle.
 */
export async function finaliseBundleOnData(
  bundleDir: string,
  options: FinaliseOnDataOptions,
): Promise<FinalisedBundle & { split: SplitChoice }> {
  const { items, choice: split } = await bundleSplitItems(bundleDir, options.data, {
    split: 'val',
    labels: options.labels,
  });
  const predictor = await Predictor.load(bundleDir, { ...options, operatingPoint: 'siim' });
  try {
    const collected = await collectPredictions(predictor, items, {
      batchSize: options.batchSize,
      onProgress: options.onProgress,
    });
    if (collected.records.length === 0)
      throw new Error(`no validation image could be read (first failure: ${collected.failures[0]?.reason ?? 'none'})`);
    const finalised = await finaliseBundle(bundleDir, collected, {
      split: splitText(options.data, split, predictor.tta),
      triageRecall: options.triageRecall,
    });
    return { ...finalised, split };
  } finally {
    predictor.dispose();
  }
}
