// `pneumo evaluate`: both models of a bundle over the validation images (the split training held
// out), then every analysis of issue 6 from one pass: the threshold sweep with the pipeline's SIIM
// score, ROC/PR curves, the operating point with its objective, the segmenter's own scores, the
// optional joint triplet search, error groups with gallery thumbnails, and the hard-example list.
import type { Precision } from '../torch/index.js';
import { writeFile } from 'node:fs/promises';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import * as torch from '../torch/index.js';
import { indexDataset, itemMask, type DatasetItem } from '../data/dataset.js';
import { csvText } from '../data/csv.js';
import { readImage } from '../data/image-io.js';
import { emptyMask } from '../data/image.js';
import type { BundleThresholds } from '../pipeline/bundle-manifest.js';
import { updateBundleThresholds } from '../pipeline/bundle.js';
import type { ModelFactory } from '../pipeline/model-contract.js';
import { Predictor } from '../pipeline/predictor.js';
import type { Runtime } from '../pipeline/model-engine.js';
import { collectPredictions } from './collect-predictions.js';
import { classifierCurves, type PrPoint, type RocPoint } from '../metrics/curves.js';
import {
  classificationErrors,
  segmentationExtremes,
  type ClassificationErrors,
  type SegmentationExtremes,
} from './error-analysis.js';
import { writeThumbnail, type GalleryGroup } from './gallery.js';
import { hardExamples, writeHardExamples } from './hard-examples.js';
import { chooseOperatingPoint, type OperatingObjective, type OperatingPoint } from './operating-point.js';
import { evaluateAtBundleThresholds, type BundlePointEvaluation } from './bundle-point.js';
import { analyseSegmentation, binCounts, type SegmentationAnalysis } from './segmentation-analysis.js';
import { sweepThresholds, thresholdGrid, type SweepRow } from './threshold-sweep.js';
import { DEFAULT_TRIPLET_GRID, scoreTriplet, searchTriplet, type TripletScore } from './triplet-search.js';
import { chooseItems, type EvaluationSplit, type SplitChoice } from './validation-items.js';

export interface EvaluateOptions {
  bundle: string;
  data: string;
  /** Label CSV instead of the dataset folder's standard one. */
  labels?: string;
  split?: EvaluationSplit;
  validationFraction?: number;
  seed?: number;
  out: string;
  /** Clinical objective: best SIIM score subject to recall >= this. */
  minRecall?: number;
  searchTriplet?: boolean;
  /** Write the chosen thresholds into bundle.json. */
  writeBundle?: boolean;
  tta?: boolean;
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
  onProgress?: (done: number, total: number) => void;
}

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
  bundle: string;
  data: string;
  split: SplitChoice;
  images: number;
  positives: number;
  negatives: number;
  failures: { imageId: string; file: string; reason: string }[];
  tta: boolean;
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
  errors: ClassificationErrors;
  extremes: SegmentationExtremes;
  galleries: GalleryGroup[];
  /** What evaluate wrote; `report` is where the caller puts the HTML report (src/report/evaluation-report.ts). */
  files: { evaluation: string; hardExamples: string; sweepCsv: string; report: string };
  seconds: { predict: number; total: number };
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

async function buildGalleries(
  out: string,
  predictor: Predictor,
  byId: Map<string, DatasetItem>,
  errors: ClassificationErrors,
  extremes: SegmentationExtremes,
): Promise<GalleryGroup[]> {
  const fmt = (v: number) => v.toFixed(3);
  const t = errors.threshold;
  const groups: {
    name: string;
    title: string;
    description: string;
    ids: { id: string; caption: string; showPrediction: boolean }[];
  }[] = [
    {
      name: 'false-negatives-confident',
      title: 'False negatives, confident',
      description: `positive images the classifier put well below the threshold (p <= ${fmt(t - errors.margin)})`,
      ids: errors.falseNegatives.confident.map((r) => ({
        id: r.imageId,
        caption: `p ${fmt(r.probability)} (t ${fmt(t)})`,
        showPrediction: false,
      })),
    },
    {
      name: 'false-negatives-near',
      title: 'False negatives, near the threshold',
      description: `positive images within ${errors.margin} below the threshold`,
      ids: errors.falseNegatives.nearThreshold.map((r) => ({
        id: r.imageId,
        caption: `p ${fmt(r.probability)} (t ${fmt(t)})`,
        showPrediction: false,
      })),
    },
    {
      name: 'false-positives-confident',
      title: 'False positives, confident',
      description: `negative images the classifier put well above the threshold (p >= ${fmt(t + errors.margin)})`,
      ids: errors.falsePositives.confident.map((r) => ({
        id: r.imageId,
        caption: `p ${fmt(r.probability)} (t ${fmt(t)})`,
        showPrediction: true,
      })),
    },
    {
      name: 'false-positives-near',
      title: 'False positives, near the threshold',
      description: `negative images within ${errors.margin} above the threshold`,
      ids: errors.falsePositives.nearThreshold.map((r) => ({
        id: r.imageId,
        caption: `p ${fmt(r.probability)} (t ${fmt(t)})`,
        showPrediction: true,
      })),
    },
    {
      name: 'best-segmentations',
      title: 'Best segmentations',
      description: 'positive images with the highest IoU of the segmenter (truth blue, prediction red)',
      ids: extremes.best.map((s) => ({
        id: s.imageId,
        caption: `IoU ${fmt(s.iou)}, Dice ${fmt(s.dice)}`,
        showPrediction: true,
      })),
    },
    {
      name: 'worst-segmentations',
      title: 'Worst segmentations',
      description: 'positive images with the lowest IoU of the segmenter (truth blue, prediction red)',
      ids: extremes.worst.map((s) => ({
        id: s.imageId,
        caption: `IoU ${fmt(s.iou)}, Dice ${fmt(s.dice)}`,
        showPrediction: true,
      })),
    },
  ];
  const result: GalleryGroup[] = [];
  for (const g of groups) {
    const entries = [];
    for (const { id, caption, showPrediction } of g.ids) {
      const item = byId.get(id)!;
      const image = await readImage(item.path);
      const truth = item.label === 1 ? itemMask(item, image.width, image.height) : null;
      let prediction = null;
      if (showPrediction) {
        const maps = predictor.segmentProbabilities([image]);
        prediction = predictor.maskFromProbabilities(maps.maps[0], maps.width, maps.height, image.width, image.height);
      }
      const thumbnail = await writeThumbnail(
        out,
        g.name,
        id,
        image,
        truth,
        prediction ?? emptyMask(image.width, image.height),
      );
      entries.push({ imageId: id, thumbnail, caption });
    }
    result.push({ name: g.name, title: g.title, description: g.description, entries });
  }
  return result;
}

export async function evaluateBundle(options: EvaluateOptions): Promise<EvaluationResult> {
  const started = Date.now();
  const out = path.resolve(options.out);
  await mkdir(out, { recursive: true });
  const predictor = await Predictor.load(options.bundle, {
    tta: options.tta,
    threads: options.threads,
    precision: options.precision,
    device: options.device,
    runtime: options.runtime,
    modelFactory: options.modelFactory,
  });
  try {
    const manifest = predictor.bundle.manifest;
    const index = await indexDataset(options.data, { labels: options.labels });
    const { items, choice } = chooseItems(index.items, manifest, {
      split: options.split ?? 'val',
      validationFraction: options.validationFraction,
      seed: options.seed,
    });
    if (items.length === 0) throw new Error(`no image to evaluate in ${options.data} (split ${choice.split})`);
    const collected = await collectPredictions(predictor, items, {
      batchSize: options.batchSize,
      onProgress: options.onProgress,
    });
    const { records, segmentations } = collected;
    if (records.length === 0)
      throw new Error(`no image could be read (first failure: ${collected.failures[0]?.reason ?? 'none'})`);

    const sweep = sweepThresholds(records, thresholdGrid());
    const objective: OperatingObjective =
      options.minRecall === undefined ? { kind: 'max-siim' } : { kind: 'min-recall', floor: options.minRecall };
    const operatingPoint = chooseOperatingPoint(sweep, objective);
    const curves = classifierCurves(records);
    const positives = records.filter((r) => r.label === 1);
    const negatives = records.filter((r) => r.label === 0);

    let triplet: TripletResult | null = null;
    if (options.searchTriplet) {
      const allowed = sweep
        .filter((r) => objective.kind === 'max-siim' || (r.recall ?? -1) >= objective.floor)
        .map((r) => r.threshold);
      const classifierThresholds = allowed.length > 0 ? allowed : [operatingPoint.threshold];
      const t = manifest.thresholds;
      // The bundle's own values join the grid, so the search never reports worse than what is there.
      const withValue = (values: readonly number[], v: number) => [...new Set([...values, v])].sort((a, b) => a - b);
      const grid = {
        classifierThresholds: allowed.includes(t.classifier)
          ? withValue(classifierThresholds, t.classifier)
          : classifierThresholds,
        pixelThresholds: withValue(DEFAULT_TRIPLET_GRID.pixelThresholds, t.pixel),
        minAreas: withValue(DEFAULT_TRIPLET_GRID.minAreas, t.minArea),
      };
      const search = searchTriplet(collected.tripletImages, grid);
      triplet = {
        best: search.best,
        top: search.top,
        tolerance: search.tolerance,
        bundleTripletScore: scoreTriplet(collected.tripletImages, {
          classifierThreshold: t.classifier,
          pixelThreshold: t.pixel,
          minArea: t.minArea,
        }),
        gridPoints: search.scores.length,
        searchSide: collected.tripletImages[0].width,
        classifierThresholds: grid.classifierThresholds,
        scores: search.scores,
      };
    }

    let writtenThresholds: BundleThresholds | null = null;
    if (options.writeBundle) {
      writtenThresholds = triplet
        ? {
            classifier: triplet.best.classifierThreshold,
            pixel: triplet.best.pixelThreshold,
            minArea: triplet.best.minArea,
          }
        : { ...manifest.thresholds, classifier: operatingPoint.threshold };
      await updateBundleThresholds(predictor.bundle.dir, writtenThresholds, {
        method: triplet ? 'joint triplet search by pneumo evaluate' : 'classifier threshold sweep by pneumo evaluate',
        objective: operatingPoint.description,
        siimScore: triplet ? triplet.best.siimScore : (operatingPoint.row.siimScore ?? undefined),
        evaluatedOn: `${path.resolve(options.data)} (${choice.split === 'val' ? `validation split, fraction ${choice.validationFraction}, seed ${choice.seed}` : 'all images'}, ${records.length} images${predictor.tta ? ', with flip TTA: predict with --tta' : ''})`,
        at: new Date().toISOString(),
      });
    }

    const atBundleThresholds = evaluateAtBundleThresholds(records, manifest.thresholds);
    // Errors are those of the classifier threshold the bundle holds now: the frozen one, or the one
    // this run wrote into it.
    const errorThreshold = (writtenThresholds ?? manifest.thresholds).classifier;
    const allErrors = classificationErrors(records, errorThreshold, { margin: options.nearMargin ?? 0.1 });
    const limit = options.galleryLimit ?? 12;
    const shown = classificationErrors(records, errorThreshold, { margin: options.nearMargin ?? 0.1, limit });
    const extremes = segmentationExtremes(segmentations, limit);
    const byId = new Map(items.map((i) => [i.imageId, i]));
    const galleries = await buildGalleries(out, predictor, byId, shown, extremes);

    const files = {
      evaluation: path.join(out, 'evaluation.json'),
      hardExamples: path.join(out, 'hard-examples.csv'),
      sweepCsv: path.join(out, 'threshold-sweep.csv'),
      report: path.join(out, 'index.html'),
    };
    await writeHardExamples(files.hardExamples, hardExamples(allErrors, segmentations));
    await writeFile(files.sweepCsv, sweepCsv(sweep));
    const iouOf = new Map(segmentations.map((s) => [s.imageId, s.iou]));
    const result: EvaluationResult = {
      bundle: predictor.bundle.dir,
      data: path.resolve(options.data),
      split: choice,
      images: records.length,
      positives: positives.length,
      negatives: negatives.length,
      failures: collected.failures,
      tta: predictor.tta,
      bundleThresholds: manifest.thresholds,
      atBundleThresholds,
      classifier: {
        rocAuc: curves.rocAuc,
        prAuc: curves.prAuc,
        roc: curves.roc.filter((p) => Number.isFinite(p.threshold)),
        pr: curves.pr,
      },
      sweep,
      tunedOperatingPoint: operatingPoint,
      errorThreshold,
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
      triplet,
      writtenThresholds,
      errors: shown,
      extremes,
      galleries,
      files,
      seconds: { predict: collected.seconds, total: (Date.now() - started) / 1000 },
      threads: torch.getNumThreads(),
      perImage: records.map((r) => ({
        imageId: r.imageId,
        label: r.label,
        probability: r.probability,
        segmentedDice: r.segmentedDice,
        maskFound: r.maskFound,
        iou: iouOf.get(r.imageId)!,
      })),
    };
    await writeFile(files.evaluation, JSON.stringify(result, null, 1) + '\n');
    return result;
  } finally {
    predictor.dispose();
  }
}
