// Fitting the learned input gate into a bundle: the classifier encoder's pooled features of the
// training images make the distance model (ood-distance.ts), the validation images' distances set the
// threshold at a percentile, and both go into the bundle (gate.safetensors, bundle.json's `gate`).
// Called when a bundle is made (`pneumo bundle --gate DATA`), by `pneumo gate fit` on an existing
// bundle, and by whoever else makes bundles (fitInputGate).
import path from 'node:path';
import { readInputPixels } from '../data/model-input-file.js';
import { indexDataset, type DatasetItem } from '../data/dataset.js';
import { stratifiedSplit } from '../data/split.js';
import { readBundleImages } from './bundle-images.js';
import { inputPixels, normalizeInput } from '../data/model-input.js';
import type { GrayImage } from '../data/image.js';
import * as torch from '../torch/index.js';
import { BundleError, type BundleGate } from './bundle-manifest.js';
import {
  loadBundle,
  readBundleManifest,
  updateBundleGate,
  type LoadBundleOptions,
  type LoadedBundle,
} from './bundle.js';
import { writeGateFile } from './gate-file.js';
import { featureLayerOf, hasGateFeatures } from './gate-features.js';
import { fitOod, oodScores, percentile, type FeatureTransform, type OodMethod } from './ood-distance.js';

/** A file, or anything with its path (a DatasetItem). */
export type GateItem = string | { path: string };

export const DEFAULT_GATE_PERCENTILE = 99.5;
export const DEFAULT_GATE_METHOD: OodMethod = 'mahalanobis';
/** The features' signed square root before the distance (ood-distance.ts says why). */
export const DEFAULT_GATE_TRANSFORM: FeatureTransform = 'signed-sqrt';

export interface GateFeatures {
  dim: number;
  /** n x dim, row-major, in the order of `files`. */
  rows: Float64Array;
  files: string[];
  failures: { file: string; reason: string }[];
}

const pathOf = (item: GateItem) => (typeof item === 'string' ? item : item.path);

/** The gate's features of model-input planes (levels applied, not normalised), n x C row-major. */
function featuresOfPlanes(bundle: LoadedBundle, planes: readonly Float32Array[]): Float32Array {
  const model = bundle.classifier;
  if (!hasGateFeatures(model))
    throw new BundleError(bundle.dir, ['the classifier gives no pooled features: the gate cannot be fitted']);
  const input = bundle.manifest.classifier.input;
  const plane = input.width * input.height;
  const data = new Float32Array(planes.length * plane);
  planes.forEach((p, i) => normalizeInput(p, input, data, i * plane));
  return torch.inferenceMode(() =>
    torch.scope(() =>
      model
        .pooledFeatures(torch.tensor(data, [planes.length, 1, input.height, input.width]))
        .float()
        .toFloat32Array(),
    ),
  );
}

/** The gate's features of images in memory (as the Predictor would see them), n x C row-major. */
export function imageGateFeatures(bundle: LoadedBundle, images: readonly GrayImage[]): Float64Array {
  const input = bundle.manifest.classifier.input;
  return Float64Array.from(
    featuresOfPlanes(
      bundle,
      images.map((image) => inputPixels(image, input)),
    ),
  );
}

/** The gate's features of each readable file, through the bundle's classifier (eval mode, no grad). */
export async function collectGateFeatures(
  bundle: LoadedBundle,
  items: readonly GateItem[],
  options: { batchSize?: number; onProgress?: (done: number, total: number) => void } = {},
): Promise<GateFeatures> {
  const input = bundle.manifest.classifier.input;
  const batchSize = options.batchSize ?? 8;
  const files: string[] = [];
  const failures: GateFeatures['failures'] = [];
  const chunks: Float32Array[] = [];
  let dim = 0;
  for (let start = 0; start < items.length; start += batchSize) {
    const batch = items.slice(start, start + batchSize).map(pathOf);
    const read = await Promise.all(
      batch.map((file) =>
        readInputPixels(file, input).then(
          (r) => ({ file, pixels: r.pixels }),
          (err: Error) => ({ file, error: err.message }),
        ),
      ),
    );
    const good = read.filter((r): r is { file: string; pixels: Float32Array } => 'pixels' in r);
    for (const r of read) if ('error' in r) failures.push({ file: r.file, reason: r.error });
    if (good.length > 0) {
      const features = featuresOfPlanes(
        bundle,
        good.map((r) => r.pixels),
      );
      dim = features.length / good.length;
      chunks.push(features);
      files.push(...good.map((r) => r.file));
    }
    options.onProgress?.(Math.min(items.length, start + batchSize), items.length);
  }
  const rows = new Float64Array(files.length * dim);
  let offset = 0;
  for (const chunk of chunks) {
    rows.set(chunk, offset);
    offset += chunk.length;
  }
  return { dim, rows, files, failures };
}

export interface FitGateOptions extends LoadBundleOptions {
  method?: OodMethod;
  /** The features' transform before the distance; signed square root by default. */
  transform?: FeatureTransform;
  /** Percentile of the validation images' scores that becomes the threshold; default 99.5. */
  percentile?: number;
  /** The images in words, for bundle.json (e.g. "the classifier's training split of DATA"). */
  fittedOn?: string;
  batchSize?: number;
  onProgress?: (stage: 'training' | 'validation', done: number, total: number) => void;
}

export interface FitGateResult {
  gate: BundleGate;
  trainingScores: Float64Array;
  validationScores: Float64Array;
  failures: { file: string; reason: string }[];
}

/**
 * Fits the learned gate on the training images, takes its threshold on the validation images, and
 * writes it into the bundle (replacing a gate it had).
 */
export async function fitInputGate(
  bundleDir: string,
  trainItems: readonly GateItem[],
  valItems: readonly GateItem[],
  options: FitGateOptions = {},
): Promise<FitGateResult> {
  const dir = path.resolve(bundleDir);
  const q = options.percentile ?? DEFAULT_GATE_PERCENTILE;
  if (!(q > 0 && q <= 100)) throw new RangeError(`the gate's percentile must be in (0, 100], got ${q}`);
  if (valItems.length === 0) throw new BundleError(dir, ['the gate needs validation images for its threshold']);
  const method = options.method ?? DEFAULT_GATE_METHOD;
  const bundle = await loadBundle(dir, options);
  try {
    const progress = (stage: 'training' | 'validation') => (done: number, total: number) =>
      options.onProgress?.(stage, done, total);
    const train = await collectGateFeatures(bundle, trainItems, {
      batchSize: options.batchSize,
      onProgress: progress('training'),
    });
    const val = await collectGateFeatures(bundle, valItems, {
      batchSize: options.batchSize,
      onProgress: progress('validation'),
    });
    if (val.files.length === 0) throw new BundleError(dir, ['no validation image could be read for the threshold']);
    const transform = options.transform ?? DEFAULT_GATE_TRANSFORM;
    const model = fitOod(method, train.rows, train.dim, transform);
    const trainingScores = oodScores(model, train.rows);
    const validationScores = oodScores(model, val.rows);
    const { file, sha256 } = writeGateFile(dir, model);
    const gate: BundleGate = {
      file,
      sha256,
      method,
      featureLayer: `${featureLayerOf(bundle.classifier)}${transform === 'signed-sqrt' ? ', signed square root' : ''}`,
      threshold: percentile(validationScores, q),
      percentile: q,
      fittedOn:
        options.fittedOn ?? `${train.files.length} training images, threshold on ${val.files.length} validation images`,
      n: train.files.length,
      validationN: val.files.length,
    };
    await updateBundleGate(dir, gate);
    return { gate, trainingScores, validationScores, failures: [...train.failures, ...val.failures] };
  } finally {
    bundle.dispose();
  }
}

export interface GateSplit {
  train: DatasetItem[];
  validation: DatasetItem[];
  /** Where the split comes from, in words (bundle.json's gate.fittedOn). */
  fittedOn: string;
}

/**
 * The training and validation images of a dataset folder for the gate: the classifier's own split
 * when the bundle records it (images.json), else a stratified split (fraction, seed).
 */
export async function gateSplit(
  bundleDir: string,
  dataDir: string,
  options: { labels?: string; validationFraction?: number; seed?: number } = {},
): Promise<GateSplit> {
  const dir = path.resolve(bundleDir);
  const index = await indexDataset(dataDir, { labels: options.labels });
  const manifest = await readBundleManifest(dir);
  const recorded = manifest.images ? (await readBundleImages(dir, manifest.images)).classifier : null;
  if (recorded) {
    const training = new Set(recorded.training);
    const validation = new Set(recorded.validation);
    const train = index.items.filter((i) => training.has(i.imageId));
    const val = index.items.filter((i) => validation.has(i.imageId));
    if (train.length > 0 && val.length > 0)
      return {
        train,
        validation: val,
        fittedOn: `the classifier's training images of ${index.root} (${train.length}), threshold on its validation images (${val.length})`,
      };
  }
  const fraction = options.validationFraction ?? 0.2;
  const seed = options.seed ?? 1;
  const split = stratifiedSplit(index.items, { validationFraction: fraction, seed });
  return {
    train: split.train,
    validation: split.validation,
    fittedOn: `${index.root}, stratified split (validation fraction ${fraction}, seed ${seed}): ${split.train.length} fitted, threshold on ${split.validation.length}`,
  };
}
