// The model bundle (ARCHITECTURE.md, "Model bundle"): one folder with classifier.safetensors,
// segmenter.safetensors and bundle.json. `makeBundle` assembles it from two training runs;
// `loadBundle` validates it and builds both models once, saying exactly what is wrong with a broken
// bundle (missing file, bad JSON, unknown architecture, weights that do not match: keys listed).
import { copyFile, mkdir, readdir, readFile, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { loadSafetensors, nn, SafetensorsError, type Tensor } from '../torch/index.js';
import {
  BUNDLE_FORMAT,
  BUNDLE_FORMAT_VERSION,
  BUNDLE_MANIFEST,
  BundleError,
  CLASSIFIER_WEIGHTS,
  SEGMENTER_WEIGHTS,
  validateManifest,
  type BundleCalibration,
  type BundleGate,
  type BundleManifest,
  type BundleModelEntry,
  type BundleThresholds,
  type ThresholdSource,
} from './bundle-manifest.js';
import {
  registryModelFactory,
  UnknownArchitectureError,
  type ModelFactory,
  type PipelineModel,
} from './model-contract.js';
import { readTrainingRun, type TrainingRun } from './training-run.js';
import type { RunManifest } from '../train/run-manifest.js';
import { writeBundleImages } from './bundle-images.js';
import { writeJsonAtomic } from '../atomic-file.js';
import { DEFAULT_THRESHOLDS } from '../evaluate/operating-point.js';
import { pneumoVersion } from '../project-paths.js';

async function libtorchVersion(): Promise<string> {
  try {
    const { engineInfo } = await import('../torch/engine-info.js');
    return engineInfo().version;
  } catch {
    return 'unknown';
  }
}

function entryOf(run: TrainingRun, weights: string): BundleModelEntry {
  return {
    architecture: run.architecture,
    config: run.config,
    weights,
    input: run.input,
  };
}

/** run.json without its image id lists, which go to images.json: bundle.json stays small. */
function withoutIdLists(manifest: RunManifest): Record<string, unknown> {
  const dataset = manifest.provenance.dataset;
  if (typeof dataset !== 'object' || dataset === null || Array.isArray(dataset)) return { ...manifest };
  const { trainIds: _train, validationIds: _validation, ...rest } = dataset as Record<string, unknown>;
  return { ...manifest, provenance: { ...manifest.provenance, dataset: rest } };
}

function provenanceOf(run: TrainingRun): Record<string, unknown> {
  return {
    run: run.dir,
    data: run.data,
    split: run.split,
    threshold: run.threshold,
    runJson: withoutIdLists(run.manifest),
  };
}

/** Where the classifier threshold comes from: the flag, the classifier run's proposal, or the default. */
function thresholdSourceOf(run: TrainingRun, given: Partial<BundleThresholds> | undefined): ThresholdSource {
  const at = new Date().toISOString();
  if (given?.classifier !== undefined)
    return { rule: 'given on the command line', split: 'none', images: null, at, siimScore: null };
  const proposed = run.threshold;
  if (proposed?.value === null || proposed === null)
    return { rule: `default ${DEFAULT_THRESHOLDS.classifier}`, split: 'none', images: null, at, siimScore: null };
  return {
    rule: `${proposed.rule} on validation, proposed by the classifier's training run`,
    split: `${proposed.from} of ${run.data} (fraction ${run.split.validationFraction}, seed ${run.split.seed})`,
    images: proposed.images,
    at,
    siimScore: null,
  };
}

export interface MakeBundleOptions {
  classifierRun: string;
  segmenterRun: string;
  out: string;
  /** Overrides; by default the classifier run's validation threshold (else 0.5), pixel 0.5, no minimum area. */
  thresholds?: Partial<BundleThresholds>;
  /** Replace an existing bundle at `out`. */
  force?: boolean;
}

/** Assembles a bundle folder from two training runs; written to a temporary folder and renamed into place. */
export async function makeBundle(options: MakeBundleOptions): Promise<BundleManifest> {
  // One after the other, so that when both are bad the error always names the classifier's run.
  const classifierRun = await readTrainingRun(options.classifierRun);
  const segmenterRun = await readTrainingRun(options.segmenterRun);
  const out = path.resolve(options.out);
  const existing = await stat(out).catch(() => null);
  if (existing && !existing.isDirectory()) throw new BundleError(out, ['exists and is not a folder']);
  if (existing && (await readdir(out)).length > 0 && !options.force)
    throw new BundleError(out, ['the folder exists and is not empty (use --force to replace it)']);
  const thresholds: BundleThresholds = {
    classifier: options.thresholds?.classifier ?? classifierRun.threshold?.value ?? DEFAULT_THRESHOLDS.classifier,
    pixel: options.thresholds?.pixel ?? DEFAULT_THRESHOLDS.pixel,
    minArea: options.thresholds?.minArea ?? DEFAULT_THRESHOLDS.minArea,
  };
  const manifest: BundleManifest = {
    format: BUNDLE_FORMAT,
    formatVersion: BUNDLE_FORMAT_VERSION,
    createdAt: new Date().toISOString(),
    classifier: entryOf(classifierRun, CLASSIFIER_WEIGHTS),
    segmenter: entryOf(segmenterRun, SEGMENTER_WEIGHTS),
    thresholds,
    thresholdSource: thresholdSourceOf(classifierRun, options.thresholds),
    provenance: { classifier: provenanceOf(classifierRun), segmenter: provenanceOf(segmenterRun) },
    versions: { pneumo: pneumoVersion(), libtorch: await libtorchVersion(), node: process.version },
  };
  validateManifest(manifest, out);
  const staging = `${out}.tmp-${process.pid}`;
  await rm(staging, { recursive: true, force: true });
  await mkdir(staging, { recursive: true });
  await copyFile(classifierRun.weights, path.join(staging, CLASSIFIER_WEIGHTS));
  await copyFile(segmenterRun.weights, path.join(staging, SEGMENTER_WEIGHTS));
  const images = await writeBundleImages(staging, classifierRun, segmenterRun);
  if (images) manifest.images = images;
  writeJsonAtomic(path.join(staging, BUNDLE_MANIFEST), manifest);
  if (existing) await rm(out, { recursive: true, force: true });
  await rename(staging, out);
  return manifest;
}

/** Reads and validates bundle.json and checks that both weight files exist; builds nothing. */
export async function readBundleManifest(dir: string): Promise<BundleManifest> {
  const info = await stat(dir).catch(() => null);
  if (!info) throw new BundleError(dir, ['no such folder']);
  if (!info.isDirectory()) throw new BundleError(dir, ['not a folder (a bundle is a folder made by `pneumo bundle`)']);
  let text: string;
  try {
    text = await readFile(path.join(dir, BUNDLE_MANIFEST), 'utf8');
  } catch {
    throw new BundleError(dir, [`no ${BUNDLE_MANIFEST} (a bundle is a folder made by \`pneumo bundle\`)`]);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new BundleError(dir, [`${BUNDLE_MANIFEST} is not valid JSON (${(err as Error).message})`]);
  }
  const manifest = validateManifest(json, dir);
  const missing: string[] = [];
  for (const entry of [manifest.classifier, manifest.segmenter]) {
    if (!(await stat(path.join(dir, entry.weights)).catch(() => null))?.isFile())
      missing.push(`${entry.weights} is missing`);
  }
  if (missing.length > 0) throw new BundleError(dir, missing);
  return manifest;
}

export interface LoadedBundle {
  dir: string;
  manifest: BundleManifest;
  classifier: PipelineModel;
  segmenter: PipelineModel;
  /** Releases both models' tensors. */
  dispose(): void;
}

async function buildModel(
  dir: string,
  role: 'classifier' | 'segmenter',
  entry: BundleModelEntry,
  factory: ModelFactory,
): Promise<PipelineModel> {
  let model: PipelineModel;
  try {
    model = factory(entry.architecture, entry.config);
  } catch (err) {
    if (err instanceof UnknownArchitectureError)
      throw new BundleError(dir, [`${BUNDLE_MANIFEST}: ${role} has an ${err.message}`]);
    throw new BundleError(dir, [
      `${BUNDLE_MANIFEST}: ${role} \`${entry.architecture}\` cannot be built from its config (${(err as Error).message})`,
    ]);
  }
  let weights: Map<string, Tensor>;
  try {
    weights = loadSafetensors(path.join(dir, entry.weights));
  } catch (err) {
    model.dispose();
    // Named as bundle.json names it: the bundle's folder is already in the message.
    if (err instanceof SafetensorsError) throw new BundleError(dir, [`${entry.weights}: ${err.reason}`]);
    throw err;
  }
  try {
    model.loadStateDict(weights, { strict: true });
  } catch (err) {
    model.dispose();
    if (err instanceof nn.StateDictError)
      throw new BundleError(dir, [
        `${entry.weights} does not match the ${role} architecture \`${entry.architecture}\`: ${err.message.replace(/^state dict does not match the model: /, '')}`,
      ]);
    throw err;
  } finally {
    for (const t of weights.values()) t.dispose();
  }
  return model.eval();
}

export interface LoadBundleOptions {
  /** Where architectures come from; the project's registry (src/models) by default. */
  modelFactory?: ModelFactory;
}

/** Validates a bundle and builds both models with their weights, in eval mode. */
export async function loadBundle(dir: string, options: LoadBundleOptions = {}): Promise<LoadedBundle> {
  const bundleDir = path.resolve(dir);
  const manifest = await readBundleManifest(bundleDir);
  const factory = options.modelFactory ?? registryModelFactory;
  const classifier = await buildModel(bundleDir, 'classifier', manifest.classifier, factory);
  let segmenter: PipelineModel;
  try {
    segmenter = await buildModel(bundleDir, 'segmenter', manifest.segmenter, factory);
  } catch (err) {
    classifier.dispose();
    throw err;
  }
  return {
    dir: bundleDir,
    manifest,
    classifier,
    segmenter,
    dispose() {
      classifier.dispose();
      segmenter.dispose();
    },
  };
}

/** Writes new thresholds into bundle.json (atomically), recording where they come from. */
export async function updateBundleThresholds(
  dir: string,
  thresholds: BundleThresholds,
  source: ThresholdSource,
): Promise<BundleManifest> {
  const manifest = await readBundleManifest(dir);
  const updated: BundleManifest = { ...manifest, thresholds, thresholdSource: source };
  validateManifest(updated, dir);
  writeJsonAtomic(path.join(dir, BUNDLE_MANIFEST), updated);
  return updated;
}

/** Writes the classifier's probability calibration into bundle.json (atomically). */
export async function updateBundleCalibration(dir: string, calibration: BundleCalibration): Promise<BundleManifest> {
  const manifest = await readBundleManifest(dir);
  const updated: BundleManifest = { ...manifest, calibration };
  validateManifest(updated, dir);
  writeJsonAtomic(path.join(dir, BUNDLE_MANIFEST), updated);
  return updated;
}

/** Writes the learned input gate's entry into bundle.json (atomically); its file is already in the folder. */
export async function updateBundleGate(dir: string, gate: BundleGate): Promise<BundleManifest> {
  const manifest = await readBundleManifest(dir);
  const updated: BundleManifest = { ...manifest, gate };
  validateManifest(updated, dir);
  writeJsonAtomic(path.join(dir, BUNDLE_MANIFEST), updated);
  return updated;
}
