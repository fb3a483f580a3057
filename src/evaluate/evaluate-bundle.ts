// `pneumo evaluate`: both models of a bundle over the validation images (the split training held
// out), then every analysis from one pass. Each step is a function of its own: collect the
// predictions, choose thresholds (threshold-choice.ts: the sweep grid, the operating point, the
// optional triplet search, --write-bundle), measure at the bundle's frozen thresholds, draw the
// error galleries (gallery.ts), and write the files (evaluation-file.ts is evaluation.json's one
// reader and writer).
import type { Precision } from '../torch/index.js';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import * as torch from '../torch/index.js';
import { indexDataset, type DatasetItem } from '../data/dataset.js';
import type { RleOption } from '../data/labels.js';
import { ttaName, type TtaName } from '../pipeline/tta.js';
import { csvText } from '../data/csv.js';
import type { BundleThresholds } from '../pipeline/bundle-manifest.js';
import type { ModelFactory } from '../pipeline/model-contract.js';
import { Predictor } from '../pipeline/predictor.js';
import type { Runtime } from '../pipeline/model-engine.js';
import { collectPredictions, emptyCollection, type CollectedPredictions } from './collect-predictions.js';
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
import { chooseThresholds, splitWords, writeChosenThresholds } from './threshold-choice.js';
import { fitTemperature } from '../metrics/calibration.js';
import { scoreColumns } from '../metrics/scored-label.js';
import type { BundleCalibration } from '../pipeline/bundle-manifest.js';
import { updateBundleCalibration } from '../pipeline/bundle.js';
import { writeReferenceDistribution } from '../pipeline/bundle-reference.js';
import {
  headerFamilies,
  maskSizeFamily,
  readGroupsCsv,
  readItemHeaders,
  synthFamilies,
  type AttributeFamily,
} from './image-attributes.js';
import { studyFigures } from './study.js';
import { checkTrainingOverlap, chooseItems, type EvaluationSplit, type SplitChoice } from './validation-items.js';
import { readBundleManifest } from '../pipeline/bundle.js';
import { readBundleImages, trainingImageIds } from '../pipeline/bundle-images.js';

export type { EvaluationResult, TripletResult } from './evaluation-file.js';

export interface EvaluateOptions {
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
  searchTriplet?: boolean;
  /** Write the chosen thresholds into bundle.json. */
  writeBundle?: boolean;
  tta?: boolean | TtaName;
  batchSize?: number;
  threads?: number;
  /** fp32 (default), bf16, or fp16 on CUDA. */
  precision?: Precision;
  /** A concrete device as torch.resolveDevice gives; 'cpu' by default. */
  device?: string;
  /** The inference engine: libtorch (default) or onnx (ONNX Runtime on the models' export). */
  runtime?: Runtime;
  modelFactory?: ModelFactory;
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
 * The images to evaluate, as the bundle's provenance splits them, checked against the bundle's
 * training images before any model loads (a validation split that overlaps training is refused
 * unless allowOverlap).
 */
async function evaluationItems(options: EvaluateOptions): Promise<{ items: DatasetItem[]; choice: SplitChoice }> {
  const bundleDir = path.resolve(options.bundle);
  const manifest = await readBundleManifest(bundleDir);
  const index = await indexDataset(options.data, { labels: options.labels, rle: options.rle });
  if (options.heldOut) {
    const wanted = new Set(options.heldOut.flatMap((f) => f.imageIds));
    const items = index.items.filter((i) => wanted.has(i.imageId));
    if (items.length === 0) throw new Error(`no held-out image of the folds is in ${options.data}`);
    const source = `${options.heldOut.length} folds, each image predicted by the fold model that did not train on it`;
    return { items, choice: { split: 'out-of-fold', validationFraction: null, seed: null, source } };
  }
  const { items, choice } = chooseItems(index.items, manifest, {
    split: options.split ?? 'val',
    validationFraction: options.validationFraction,
    seed: options.seed,
  });
  if (items.length === 0) throw new Error(`no image to evaluate in ${options.data} (split ${choice.split})`);
  const trainingIds = manifest.images ? trainingImageIds(await readBundleImages(bundleDir, manifest.images)) : null;
  choice.trainingOverlap = checkTrainingOverlap(items, trainingIds, choice.split, options.allowOverlap);
  return { items, choice };
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

/**
 * The temperature that calibrates the classifier on the validation split, frozen with the thresholds
 * (the same images, the same flag): null unless --write-bundle runs on a validation split.
 */
async function writeCalibration(
  bundleDir: string,
  collected: CollectedPredictions,
  split: SplitChoice,
  data: string,
): Promise<BundleCalibration | null> {
  if (split.split === 'all') return null;
  const { scores, truth } = scoreColumns(collected.records);
  const calibration: BundleCalibration = {
    method: 'temperature',
    temperature: fitTemperature(scores, truth),
    fittedOn: `${path.resolve(data)} (${splitWords(split)})`,
    n: scores.length,
  };
  await updateBundleCalibration(bundleDir, calibration);
  return calibration;
}

/** The predictors of an evaluation: the bundle's, or one per fold with the images it held out. */
async function loadPredictors(
  options: EvaluateOptions,
  items: readonly DatasetItem[],
): Promise<{ predictor: Predictor; items: DatasetItem[] }[]> {
  const load = (bundle: string) =>
    Predictor.load(bundle, {
      tta: options.tta,
      threads: options.threads,
      precision: options.precision,
      device: options.device,
      runtime: options.runtime,
      modelFactory: options.modelFactory,
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
): Promise<CollectedPredictions> {
  const total = parts.reduce((n, p) => n + p.items.length, 0);
  let before = 0;
  const all = emptyCollection();
  for (const part of parts) {
    const c = await collectPredictions(part.predictor, part.items, {
      batchSize: options.batchSize,
      onProgress: (done) => options.onProgress?.(before + done, total),
    });
    before += part.items.length;
    all.records.push(...c.records);
    all.segmentations.push(...c.segmentations);
    all.tripletImages.push(...c.tripletImages);
    all.failures.push(...c.failures);
    for (const [id, f] of c.truthFractions) all.truthFractions.set(id, f);
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
    const collected = await collectAll(parts, options);
    const { records, segmentations } = collected;
    if (records.length === 0)
      throw new Error(`no image could be read (first failure: ${collected.failures[0]?.reason ?? 'none'})`);
    const studyStarted = Date.now();
    const study = studyFigures(records, manifest, await attributeFamilies(options, items, collected), {
      resamples: options.bootstrap,
      seed: options.bootstrapSeed,
    });
    const studySeconds = (Date.now() - studyStarted) / 1000;

    const choice = chooseThresholds(records, collected.tripletImages, manifest.thresholds, options);
    const writtenThresholds = options.writeBundle
      ? await writeChosenThresholds(bundleDir, choice, manifest.thresholds, {
          data: options.data,
          split,
          images: records.length,
          tta,
        })
      : null;
    const writtenCalibration = options.writeBundle
      ? await writeCalibration(bundleDir, collected, split, options.data)
      : null;
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
      writtenCalibration,
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
