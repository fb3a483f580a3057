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
  modelFiles,
  SEGMENTER_WEIGHTS,
  validateManifest,
  type BundleCalibration,
  type BundleGate,
  type BundleManifest,
  type BundleModelEntry,
  type BundleOperatingPoints,
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
  /** A classifier run, or several (the fold models of an ensemble, in fold order). */
  classifierRun: string | readonly string[];
  /** A segmenter run, or several (in fold order). */
  segmenterRun: string | readonly string[];
  out: string;
  /** Overrides; by default the classifier run's validation threshold (else 0.5), pixel 0.5, no minimum area. */
  thresholds?: Partial<BundleThresholds>;
  /** Replace an existing bundle at `out`. */
  force?: boolean;
}

const runList = (runs: string | readonly string[]): readonly string[] => (typeof runs === 'string' ? [runs] : runs);

/** A role's runs, read one after the other; several must agree on architecture, config and input. */
async function readRoleRuns(role: string, dirs: readonly string[]): Promise<TrainingRun[]> {
  if (dirs.length === 0) throw new Error(`bundle: no ${role} run given`);
  const runs: TrainingRun[] = [];
  for (const dir of dirs) runs.push(await readTrainingRun(dir));
  const shape = (r: TrainingRun) => JSON.stringify([r.architecture, r.config, r.input]);
  const other = runs.find((r) => shape(r) !== shape(runs[0]));
  if (other)
    throw new BundleError(path.resolve(dirs[0]), [
      `the ${role} runs ${runs[0].dir} and ${other.dir} differ in architecture, config or input; an ensemble's members must match`,
    ]);
  return runs;
}

/** One model's entry, or an ensemble's: the fold files `ROLE-foldK.safetensors`, the first as `weights`. */
function roleEntry(runs: readonly TrainingRun[], single: string): { entry: BundleModelEntry; files: string[] } {
  if (runs.length === 1) return { entry: entryOf(runs[0], single), files: [single] };
  const files = runs.map((_, k) => single.replace(/\.safetensors$/, `-fold${k}.safetensors`));
  return { entry: { ...entryOf(runs[0], files[0]), folds: files }, files };
}

function roleProvenance(runs: readonly TrainingRun[]): Record<string, unknown> {
  return runs.length === 1 ? provenanceOf(runs[0]) : { ...provenanceOf(runs[0]), folds: runs.map(provenanceOf) };
}

/**
 * Assembles a bundle folder from training runs (one per role, or one per fold and role for an
 * ensemble); written to a temporary folder and renamed into place.
 */
export async function makeBundle(options: MakeBundleOptions): Promise<BundleManifest> {
  // One after the other, so that when both are bad the error always names the classifier's run.
  const classifierRuns = await readRoleRuns('classifier', runList(options.classifierRun));
  const segmenterRuns = await readRoleRuns('segmenter', runList(options.segmenterRun));
  const classifierRun = classifierRuns[0];
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
  const classifier = roleEntry(classifierRuns, CLASSIFIER_WEIGHTS);
  const segmenter = roleEntry(segmenterRuns, SEGMENTER_WEIGHTS);
  const manifest: BundleManifest = {
    format: BUNDLE_FORMAT,
    formatVersion: BUNDLE_FORMAT_VERSION,
    createdAt: new Date().toISOString(),
    classifier: classifier.entry,
    segmenter: segmenter.entry,
    thresholds,
    thresholdSource: thresholdSourceOf(classifierRun, options.thresholds),
    provenance: { classifier: roleProvenance(classifierRuns), segmenter: roleProvenance(segmenterRuns) },
    versions: { pneumo: pneumoVersion(), libtorch: await libtorchVersion(), node: process.version },
  };
  validateManifest(manifest, out);
  const staging = `${out}.tmp-${process.pid}`;
  await rm(staging, { recursive: true, force: true });
  await mkdir(staging, { recursive: true });
  for (const [runs, files] of [
    [classifierRuns, classifier.files],
    [segmenterRuns, segmenter.files],
  ] as const)
    for (let k = 0; k < runs.length; k++) await copyFile(runs[k].weights, path.join(staging, files[k]));
  const images = await writeBundleImages(staging, classifierRuns, segmenterRuns);
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
  for (const file of [...modelFiles(manifest.classifier), ...modelFiles(manifest.segmenter)]) {
    if (!(await stat(path.join(dir, file)).catch(() => null))?.isFile()) missing.push(`${file} is missing`);
  }
  if (missing.length > 0) throw new BundleError(dir, missing);
  return manifest;
}

export interface LoadedBundle {
  dir: string;
  manifest: BundleManifest;
  /** The first (or only) model of each role: `classifiers[0]`, `segmenters[0]`. */
  classifier: PipelineModel;
  segmenter: PipelineModel;
  /** Every model of each role, in fold order: one, or an ensemble's members (BundleModelEntry.folds). */
  classifiers: PipelineModel[];
  segmenters: PipelineModel[];
  /** Releases every model's tensors. */
  dispose(): void;
}

async function buildModel(
  dir: string,
  role: 'classifier' | 'segmenter',
  entry: BundleModelEntry,
  file: string,
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
    weights = loadSafetensors(path.join(dir, file));
  } catch (err) {
    model.dispose();
    // Named as bundle.json names it: the bundle's folder is already in the message.
    if (err instanceof SafetensorsError) throw new BundleError(dir, [`${file}: ${err.reason}`]);
    throw err;
  }
  try {
    model.loadStateDict(weights, { strict: true });
  } catch (err) {
    model.dispose();
    if (err instanceof nn.StateDictError)
      throw new BundleError(dir, [
        `${file} does not match the ${role} architecture \`${entry.architecture}\`: ${err.message.replace(/^state dict does not match the model: /, '')}`,
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

/** Validates a bundle and builds every model with its weights, in eval mode. */
export async function loadBundle(dir: string, options: LoadBundleOptions = {}): Promise<LoadedBundle> {
  const bundleDir = path.resolve(dir);
  const manifest = await readBundleManifest(bundleDir);
  const factory = options.modelFactory ?? registryModelFactory;
  const built: PipelineModel[] = [];
  const build = async (role: 'classifier' | 'segmenter'): Promise<PipelineModel[]> => {
    const entry = manifest[role];
    const models: PipelineModel[] = [];
    for (const file of modelFiles(entry)) {
      const model = await buildModel(bundleDir, role, entry, file, factory);
      built.push(model);
      models.push(model);
    }
    return models;
  };
  let classifiers: PipelineModel[];
  let segmenters: PipelineModel[];
  try {
    // One after the other, so that when both roles are bad the error always names the classifier.
    classifiers = await build('classifier');
    segmenters = await build('segmenter');
  } catch (err) {
    for (const model of built) model.dispose();
    throw err;
  }
  return {
    dir: bundleDir,
    manifest,
    classifier: classifiers[0],
    segmenter: segmenters[0],
    classifiers,
    segmenters,
    dispose() {
      for (const model of built) model.dispose();
    },
  };
}

/** Reads bundle.json, changes it, and writes it back atomically once the changed manifest validates. */
async function rewriteManifest(
  dir: string,
  change: (manifest: BundleManifest) => BundleManifest,
): Promise<BundleManifest> {
  const updated = change(await readBundleManifest(dir));
  validateManifest(updated, dir);
  writeJsonAtomic(path.join(dir, BUNDLE_MANIFEST), updated);
  return updated;
}

/** Writes new thresholds into bundle.json (atomically), recording where they come from. */
export async function updateBundleThresholds(
  dir: string,
  thresholds: BundleThresholds,
  source: ThresholdSource,
): Promise<BundleManifest> {
  return rewriteManifest(dir, (manifest) => {
    const updated: BundleManifest = { ...manifest, thresholds, thresholdSource: source };
    // `thresholds` is the siim point for older readers: the two stay one.
    if (manifest.operatingPoints)
      updated.operatingPoints = {
        ...manifest.operatingPoints,
        siim: { ...thresholds, source, recall: null, specificity: null, recallFloor: null, floorMet: null },
      };
    return updated;
  });
}

/**
 * Writes the named operating points into bundle.json in one atomic write, with `thresholds` and
 * `thresholdSource` set to the siim point's (so readers of `thresholds` keep working), and the
 * calibration when one is given.
 */
export async function updateBundleOperatingPoints(
  dir: string,
  points: BundleOperatingPoints,
  calibration?: BundleCalibration,
): Promise<BundleManifest> {
  const { classifier, pixel, minArea, source } = points.siim;
  return rewriteManifest(dir, (manifest) => ({
    ...manifest,
    thresholds: { classifier, pixel, minArea },
    thresholdSource: source,
    operatingPoints: points,
    ...(calibration ? { calibration } : {}),
  }));
}

/** Writes the classifier's probability calibration into bundle.json (atomically). */
export async function updateBundleCalibration(dir: string, calibration: BundleCalibration): Promise<BundleManifest> {
  return rewriteManifest(dir, (manifest) => ({ ...manifest, calibration }));
}

/** Writes the learned input gate's entry into bundle.json (atomically); its file is already in the folder. */
export async function updateBundleGate(dir: string, gate: BundleGate): Promise<BundleManifest> {
  return rewriteManifest(dir, (manifest) => ({ ...manifest, gate }));
}
