// `pneumo evaluate`: both models of a bundle over the validation images (the split training held
// out), then every analysis from one pass. Each step is a function of its own: collect the
// predictions, choose thresholds (threshold-choice.ts: the sweep grid, the operating point, the
// optional triplet search, --write-bundle), measure at the bundle's frozen thresholds, draw the
// error galleries (gallery.ts), and write the files (evaluation-file.ts is evaluation.json's one
// reader and writer).
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import * as torch from '../torch/index.js';
import { indexDataset, type DatasetItem } from '../data/dataset.js';
import type { RleOption } from '../data/labels.js';
import { ttaName } from '../pipeline/tta.js';
import { csvText } from '../data/csv.js';
import type { BundleThresholds } from '../pipeline/bundle-manifest.js';
import { Predictor } from '../pipeline/predictor.js';
import { predictorSettings, type PredictorSettings } from '../pipeline/predictor-settings.js';
import { readBundleManifest } from '../pipeline/bundle.js';
import { collectPredictions, emptyCollection, recordsFor, type CollectedPredictions } from './collect-predictions.js';
import { classifierCurves } from '../metrics/curves.js';
import { classificationErrors, segmentationExtremes } from './error-analysis.js';
import {
  EVALUATION_FILE,
  EVALUATION_FORMAT,
  EVALUATION_SCHEMA_VERSION,
  writeEvaluation,
  type EvaluationResult,
} from './evaluation-file.js';
import { galleryPlans, writeGalleries } from './gallery.js';
import { hardExamples, writeHardExamples } from './hard-examples.js';
import { evaluateAtBundleThresholds } from './bundle-point.js';
import { analyseSegmentation, binCounts } from './segmentation-analysis.js';
import type { SweepRow } from './threshold-sweep.js';
import { chooseThresholds } from './threshold-choice.js';
import { finaliseBundle } from './finalise-bundle.js';
import { writeReferenceDistribution } from '../pipeline/bundle-reference.js';
import {
  headerFamilies,
  maskSizeFamily,
  readGroupsCsv,
  readItemHeaders,
  synthFamilies,
  type AttributeFamily,
} from './image-attributes.js';
import { namedOperatingPoints, studyFigures } from './study.js';
import { bundleSplitItems, splitText, type EvaluationSplit, type SplitChoice } from './validation-items.js';

export type { EvaluationResult, TripletResult } from './evaluation-file.js';

export interface EvaluateOptions extends PredictorSettings {
  bundle: string;
  data: string;
  /** Label CSV instead of the dataset folder's standard one. */
  labels?: string;
  /** How the label file's run starts count; relative (SIIM) by default. */
  rle?: RleOption;
  split?: EvaluationSplit;
  /** Score a validation split even when it holds images the bundle was trained on. */
  allowOverlap?: boolean;
  validationFraction?: number;
  seed?: number;
  out: string;
  /** Clinical objective: best SIIM score subject to recall >= this. */
  minRecall?: number;
  /** With writeBundle: the triage point's recall floor (default 0.9). */
  triageRecall?: number;
  searchTriplet?: boolean;
  /** Write the chosen thresholds into bundle.json. */
  writeBundle?: boolean;
  batchSize?: number;
  /** Thumbnails per gallery group; default 12. */
  galleryLimit?: number;
  /** |p - t| below this is a near-threshold error; default 0.1. */
  nearMargin?: number;
  /** Bootstrap resamples for the intervals; default 1000, 0 for none. */
  bootstrap?: number;
  bootstrapSeed?: number;
  /** A CSV of ImageId and group columns (yes/no columns name devices) for subgroups and the shortcut probe. */
  groups?: string;
  onProgress?: (done: number, total: number) => void;
  /**
   * Out-of-fold: each fold's bundle predicts the images it held out, and the thresholds (and the
   * calibration) chosen on all of them are written into `bundle` (the ensemble) with writeBundle.
   */
  heldOut?: readonly { bundle: string; imageIds: readonly string[] }[];
}

/** The counts of a sweep row: the confusion matrix at its threshold. */
function sweepCsv(rows: readonly SweepRow[]): string {
  const columns: (keyof SweepRow)[] = [
    'threshold',
    'truePositives',
    'falsePositives',
    'trueNegatives',
    'falseNegatives',
    'precision',
    'recall',
    'specificity',
    'f1',
    'accuracy',
    'siimScore',
  ];
  return csvText(
    columns,
    rows.map((r) => columns.map((c) => (r[c] === null ? '' : String(r[c])))),
  );
}

/**
 * The images to evaluate: the held-out images of the folds (out-of-fold), or the split asked for as
 * the bundle's provenance splits it (validation-items.ts).
 */
async function evaluationItems(options: EvaluateOptions): Promise<{ items: DatasetItem[]; choice: SplitChoice }> {
  if (!options.heldOut)
    return bundleSplitItems(options.bundle, options.data, { ...options, split: options.split ?? 'val' });
  const index = await indexDataset(options.data, { labels: options.labels, rle: options.rle });
  const wanted = new Set(options.heldOut.flatMap((f) => f.imageIds));
  const items = index.items.filter((i) => wanted.has(i.imageId));
  if (items.length === 0) throw new Error(`no held-out image of the folds is in ${options.data}`);
  const source = `${options.heldOut.length} folds, each image predicted by the fold model that did not train on it`;
  return { items, choice: { split: 'out-of-fold', validationFraction: null, seed: null, source } };
}

function outputFiles(out: string): EvaluationResult['files'] {
  return {
    evaluation: path.join(out, EVALUATION_FILE),
    hardExamples: path.join(out, 'hard-examples.csv'),
    sweepCsv: path.join(out, 'threshold-sweep.csv'),
    report: path.join(out, 'index.html'),
  };
}

/** The figures of one evaluation from its predictions and its threshold choice (no file, no model). */
function measure(
  collected: CollectedPredictions,
  bundleThresholds: BundleThresholds,
  errorThreshold: number,
  options: EvaluateOptions,
) {
  const { records, segmentations } = collected;
  const curves = classifierCurves(records);
  const positives = records.filter((r) => r.label === 1);
  const negatives = records.filter((r) => r.label === 0);
  const margin = options.nearMargin ?? 0.1;
  const limit = options.galleryLimit ?? 12;
  const iouOf = new Map(segmentations.map((s) => [s.imageId, s.iou]));
  return {
    images: records.length,
    positives: positives.length,
    negatives: negatives.length,
    atBundleThresholds: evaluateAtBundleThresholds(records, bundleThresholds),
    classifier: {
      rocAuc: curves.rocAuc,
      prAuc: curves.prAuc,
      roc: curves.roc.filter((p) => Number.isFinite(p.threshold)),
      pr: curves.pr,
    },
    probabilityHistogram: {
      bins: 20,
      positives: binCounts(
        positives.map((r) => r.probability),
        20,
      ),
      negatives: binCounts(
        negatives.map((r) => r.probability),
        20,
      ),
    },
    segmentation: analyseSegmentation(segmentations),
    // Every error goes to hard-examples.csv; the galleries show the first `limit` of each kind.
    allErrors: classificationErrors(records, errorThreshold, { margin }),
    errors: classificationErrors(records, errorThreshold, { margin, limit }),
    extremes: segmentationExtremes(segmentations, limit),
    perImage: records.map((r) => ({
      imageId: r.imageId,
      label: r.label,
      probability: r.probability,
      segmentedDice: r.segmentedDice,
      maskFound: r.maskFound,
      iou: iouOf.get(r.imageId)!,
    })),
  };
}

/** What is known of each evaluated image: its DICOM header, its truth mask, synth.json, the --groups CSV. */
async function attributeFamilies(
  options: EvaluateOptions,
  items: readonly DatasetItem[],
  collected: CollectedPredictions,
): Promise<AttributeFamily[]> {
  const evaluated = new Set(collected.records.map((r) => r.imageId));
  const headers = await readItemHeaders(items.filter((i) => evaluated.has(i.imageId)));
  return [
    ...headerFamilies(headers),
    maskSizeFamily(collected.truthFractions),
    ...(await synthFamilies(options.data)),
    ...(options.groups ? await readGroupsCsv(options.groups) : []),
  ];
}

/** The predictors of an evaluation: the bundle's, or one per fold with the images it held out. */
async function loadPredictors(
  options: EvaluateOptions,
  items: readonly DatasetItem[],
): Promise<{ predictor: Predictor; items: DatasetItem[] }[]> {
  const load = (bundle: string) =>
    Predictor.load(bundle, {
      ...predictorSettings(options),
      // The lead figures are at `thresholds` (the siim point); each named point is measured beside them.
      operatingPoint: 'siim',
    });
  if (!options.heldOut) return [{ predictor: await load(options.bundle), items: [...items] }];
  const parts: { predictor: Predictor; items: DatasetItem[] }[] = [];
  try {
    for (const fold of options.heldOut) {
      const ids = new Set(fold.imageIds);
      parts.push({ predictor: await load(fold.bundle), items: items.filter((i) => ids.has(i.imageId)) });
    }
  } catch (err) {
    for (const p of parts) p.predictor.dispose();
    throw err;
  }
  return parts;
}

/** One collection over every part, in the parts' order, with progress counted over all images. */
async function collectAll(
  parts: readonly { predictor: Predictor; items: DatasetItem[] }[],
  options: EvaluateOptions,
  masksAt: readonly BundleThresholds[],
): Promise<CollectedPredictions> {
  const total = parts.reduce((n, p) => n + p.items.length, 0);
  let before = 0;
  const all = emptyCollection();
  for (const part of parts) {
    const c = await collectPredictions(part.predictor, part.items, {
      batchSize: options.batchSize,
      onProgress: (done) => options.onProgress?.(before + done, total),
      masksAt,
    });
    before += part.items.length;
    all.records.push(...c.records);
    all.segmentations.push(...c.segmentations);
    all.tripletImages.push(...c.tripletImages);
    all.failures.push(...c.failures);
    for (const [id, f] of c.truthFractions) all.truthFractions.set(id, f);
    for (const [key, rows] of c.recordsAt) all.recordsAt.set(key, [...(all.recordsAt.get(key) ?? []), ...rows]);
    all.seconds += c.seconds;
  }
  return all;
}

/**
 * The validation split's classifier probabilities as the bundle's reference distribution, which
 * `serve` watches its inputs' probabilities against (drift); written with the thresholds, like the
 * calibration: only by --write-bundle on a validation split, and only without test-time augmentation
 * (serve's default), since flipped passes shift the distribution drift is judged against.
 */
async function writeReference(
  bundleDir: string,
  collected: CollectedPredictions,
  split: SplitChoice,
  data: string,
  tta: boolean,
): Promise<void> {
  if (split.split !== 'val' || tta) return;
  await writeReferenceDistribution(bundleDir, {
    probabilities: collected.records.map((r) => r.probability),
    oodScores: null,
    source: `${path.resolve(data)} (validation split, fraction ${split.validationFraction}, seed ${split.seed})`,
  });
}

export async function evaluateBundle(options: EvaluateOptions): Promise<EvaluationResult> {
  const started = Date.now();
  const out = path.resolve(options.out);
  await mkdir(out, { recursive: true });
  const { items, choice: split } = await evaluationItems(options);
  const parts = await loadPredictors(options, items);
  try {
    const bundleDir = path.resolve(options.bundle);
    const manifest = options.heldOut ? await readBundleManifest(bundleDir) : parts[0].predictor.bundle.manifest;
    const tta = parts[0].predictor.tta;
    const named = namedOperatingPoints(manifest, []);
    const collected = await collectAll(
      parts,
      options,
      named.map((p) => p.thresholds),
    );
    const { records, segmentations } = collected;
    if (records.length === 0)
      throw new Error(`no image could be read (first failure: ${collected.failures[0]?.reason ?? 'none'})`);
    const studyStarted = Date.now();
    const study = studyFigures(
      records,
      manifest,
      await attributeFamilies(options, items, collected),
      { resamples: options.bootstrap, seed: options.bootstrapSeed },
      named.map((p) => ({ ...p, records: recordsFor(collected, p.thresholds) })),
    );
    const studySeconds = (Date.now() - studyStarted) / 1000;

    // Freezing the siim point into the bundle searches all three thresholds.
    const choice = chooseThresholds(records, collected.tripletImages, manifest.thresholds, {
      minRecall: options.minRecall,
      searchTriplet: Boolean(options.searchTriplet || options.writeBundle),
    });
    // The points and the temperature are chosen on these images and frozen into the bundle; the
    // temperature only on validation or out-of-fold images (a calibration fitted on a test set would be
    // reported on it).
    const finalised = options.writeBundle
      ? await finaliseBundle(bundleDir, collected, {
          split: splitText(options.data, split, ttaName(tta)),
          triageRecall: options.triageRecall,
          calibrate: split.split !== 'all',
          choice,
        })
      : null;
    const writtenThresholds = finalised ? finalised.manifest.thresholds : null;
    const writtenCalibration = finalised?.calibration ?? null;
    if (options.writeBundle) await writeReference(bundleDir, collected, split, options.data, ttaName(tta) !== 'none');
    // Errors are those of the classifier threshold the bundle holds now: the frozen one, or the one
    // this run wrote into it.
    const errorThreshold = (writtenThresholds ?? manifest.thresholds).classifier;
    const { allErrors, ...figures } = measure(collected, manifest.thresholds, errorThreshold, options);
    const byId = new Map(items.map((i) => [i.imageId, i]));
    const predictorOf = new Map(parts.flatMap((p) => p.items.map((i) => [i.imageId, p.predictor] as const)));
    const galleries = await writeGalleries(
      out,
      (id) => predictorOf.get(id)!,
      byId,
      galleryPlans(figures.errors, figures.extremes),
    );

    const files = outputFiles(out);
    await writeHardExamples(files.hardExamples, hardExamples(allErrors, segmentations));
    await writeFile(files.sweepCsv, sweepCsv(choice.sweep));
    const result: EvaluationResult = {
      format: EVALUATION_FORMAT,
      schemaVersion: EVALUATION_SCHEMA_VERSION,
      bundle: bundleDir,
      data: path.resolve(options.data),
      split,
      ...figures,
      failures: collected.failures,
      tta: ttaName(tta),
      bundleThresholds: manifest.thresholds,
      sweep: choice.sweep,
      tunedOperatingPoint: choice.operatingPoint,
      errorThreshold,
      triplet: choice.triplet,
      writtenThresholds,
      writtenOperatingPoints: finalised?.points ?? null,
      writtenCalibration,
      writtenCalibrationCheck: finalised?.calibrationCheck ?? null,
      study,
      galleries,
      files,
      seconds: { predict: collected.seconds, study: studySeconds, total: (Date.now() - started) / 1000 },
      threads: torch.getNumThreads(),
    };
    await writeEvaluation(files.evaluation, result);
    return result;
  } finally {
    for (const p of parts) p.predictor.dispose();
  }
}
