// bundle.json: everything `predict` needs besides the weights (ARCHITECTURE.md, "Model bundle"). One
// type and one reader/writer (src/pipeline/bundle.ts) with a schema version. Validation collects
// every problem of a manifest and reports them in one BundleError, so that a broken bundle is fixed
// in one go; unknown fields are problems too, since a field this pneumo does not know could change
// what the bundle means. Version 1 (before the model-input contract) is still read: each model's
// input is taken as the loader's defaults at its recorded size and normalisation, said once.
import type { ModelConfig } from './model-contract.js';
import { checkModelInput, modelInput, ModelInputError, type ModelInput } from '../data/model-input.js';
import { isJsonObject, type JsonObject } from '../json-object.js';

export const BUNDLE_FORMAT = 'pneumo-bundle';
export const BUNDLE_FORMAT_VERSION = 2;
const LEGACY_FORMAT_VERSION = 1;
export const BUNDLE_MANIFEST = 'bundle.json';
export const CLASSIFIER_WEIGHTS = 'classifier.safetensors';
export const SEGMENTER_WEIGHTS = 'segmenter.safetensors';

/** One model of the bundle, with the model-input contract it was trained under. */
export interface BundleModelEntry {
  architecture: string;
  config: ModelConfig;
  /** File name inside the bundle folder. */
  weights: string;
  input: ModelInput;
  /**
   * An ensemble: the file names of every fold model of this role, in fold order, the first being
   * `weights`. The role's output is then the mean of the members' probabilities (the classifier's
   * image probability; the segmenter's per-pixel probability, before thresholds and minimum area).
   * Absent: one model.
   */
  folds?: string[];
}

export interface BundleThresholds {
  /** An image is segmented when the classifier probability reaches this (p >= t). */
  classifier: number;
  /** A pixel is in the mask when its probability is above this (q > t). */
  pixel: number;
  /** A mask smaller than this many pixels at 1024x1024 scale is dropped whole. */
  minArea: number;
}

/** Which rule chose the thresholds, on which split and how many images (src/evaluate/operating-point.ts). */
export interface ThresholdSource {
  rule: string;
  /** The images it was chosen on, in words (a run's validation split, an evaluation's data and split). */
  split: string;
  images: number | null;
  at: string;
  /** The SIIM score the rule reached there, when it optimised one. */
  siimScore: number | null;
}

/** Where the bundle lists the images its models saw (bundle-images.ts); absent in older bundles. */
export interface BundleImagesEntry {
  /** File name inside the bundle folder. */
  file: string;
  /** SHA-256 (hex) of that file. */
  sha256: string;
  /** Distinct images either model trained on. */
  training: number;
  /** Distinct images either model was validated on. */
  validation: number;
}

/**
 * How the classifier's probability is calibrated for display: p' = sigmoid(logit(p) / temperature),
 * fitted on `n` validation images. Thresholds stay on the uncalibrated probability (they were chosen
 * on it); the calibrated one is what a reader is shown as "probability".
 */
export interface BundleCalibration {
  method: 'temperature';
  temperature: number;
  fittedOn: string;
  n: number;
}

/**
 * Where the bundle keeps the validation set's classifier probabilities (the model's own, uncalibrated)
 * and, when the bundle has an input gate, its out-of-distribution scores: a small JSON file named here
 * with its SHA-256 (bundle-reference.ts writes and reads it). Absent: monitoring shows no drift figures.
 */
export interface BundleReferenceEntry {
  /** File name inside the bundle folder. */
  file: string;
  sha256: string;
  /** How many images the probabilities come from. */
  n: number;
  /** Whether the file holds OOD scores too. */
  ood: boolean;
  /** The images, in words (an evaluation's data and split). */
  source: string;
}

/** The names of a bundle's operating points (src/evaluate/operating-point.ts chooses both on validation). */
export const OPERATING_POINT_NAMES = ['siim', 'triage'] as const;
export type OperatingPointName = (typeof OPERATING_POINT_NAMES)[number];

/**
 * One named operating point: the three thresholds, the rule that chose them with the images it was
 * chosen on, and what the pipeline (flag = classifier passes and a mask survives) reached there.
 */
export interface BundleOperatingPoint extends BundleThresholds {
  source: ThresholdSource;
  /** The pipeline's recall and specificity on those images (null when a class is missing there). */
  recall: number | null;
  specificity: number | null;
  /** The recall floor of the rule (triage); null for a rule without one. */
  recallFloor: number | null;
  /** Whether the floor was reached on those images; null without a floor. */
  floorMet: boolean | null;
}

/**
 * `siim`: the triplet with the best SIIM score (what `thresholds` holds, for older readers); `triage`:
 * the highest specificity whose recall reaches the floor, what serve, predict and the worklist use.
 */
export type BundleOperatingPoints = Record<OperatingPointName, BundleOperatingPoint>;

/**
 * The learned input gate (input-gate.ts): a distance model of the classifier encoder's pooled
 * features, fitted on the training images, in its own file; an image scoring above `threshold` (the
 * `percentile` of the validation images' scores) is not assessed.
 */
export interface BundleGate {
  /** File name inside the bundle folder (safetensors). */
  file: string;
  /** SHA-256 (hex) of that file. */
  sha256: string;
  method: 'mahalanobis' | 'knn';
  /** Which features, in words (e.g. `encoder stage 5, global average pool`). */
  featureLayer: string;
  threshold: number;
  percentile: number;
  /** The images it was fitted on, in words. */
  fittedOn: string;
  /** Training images fitted. */
  n: number;
  /** Validation images the threshold was taken on. */
  validationN: number;
}

export interface BundleManifest {
  format: typeof BUNDLE_FORMAT;
  formatVersion: typeof BUNDLE_FORMAT_VERSION;
  createdAt: string;
  classifier: BundleModelEntry;
  segmenter: BundleModelEntry;
  thresholds: BundleThresholds;
  thresholdSource: ThresholdSource;
  /** What each model was trained on: run folder, data, split (fraction, seed), epoch, metrics. */
  provenance: { classifier: Record<string, unknown>; segmenter: Record<string, unknown> };
  /** Absent in a bundle made before calibration, or never calibrated: probabilities are shown as the model gives them. */
  calibration?: BundleCalibration;
  versions: { pneumo: string; libtorch: string; node: string };
  /** The training and validation images, when the runs recorded them. */
  images?: BundleImagesEntry;
  /** The validation set's score distributions, what `serve` compares its inputs with (bundle-reference.ts). */
  reference?: BundleReferenceEntry;
  /** Absent in a bundle whose points were never chosen on validation: `thresholds` serves for every use. */
  operatingPoints?: BundleOperatingPoints;
  /** Absent in a bundle without a learned input gate: only the header rules apply. */
  gate?: BundleGate;
}

export class BundleError extends Error {
  override name = 'BundleError';
  constructor(
    readonly bundle: string,
    readonly problems: readonly string[],
  ) {
    super(`bundle ${bundle}: ${problems.join('; ')}`);
  }
}

const isPositiveInteger = (v: unknown): v is number => Number.isInteger(v) && (v as number) > 0;

const TOP_FIELDS = [
  'format',
  'formatVersion',
  'createdAt',
  'classifier',
  'segmenter',
  'thresholds',
  'thresholdSource',
  'provenance',
  'versions',
  'images',
  'calibration',
  'reference',
  'operatingPoints',
  'gate',
];
/** Fields a manifest may leave out (bundles made before they existed). */
const OPTIONAL_FIELDS = ['images', 'calibration', 'reference', 'operatingPoints', 'gate'];
const MODEL_FIELDS = ['architecture', 'config', 'weights', 'input', 'folds'];
const SOURCE_FIELDS = ['rule', 'split', 'images', 'at', 'siimScore'];

function unknownFields(value: JsonObject, known: readonly string[], where: string, problems: string[]): void {
  for (const key of Object.keys(value)) if (!known.includes(key)) problems.push(`${where}${key} is not a known field`);
}

function checkModel(value: unknown, role: string, problems: string[]): void {
  if (!isJsonObject(value)) {
    problems.push(`"${role}" is missing or not an object`);
    return;
  }
  unknownFields(value, MODEL_FIELDS, `${role}.`, problems);
  if (typeof value.architecture !== 'string' || value.architecture === '')
    problems.push(`${role}.architecture is not a name`);
  if (!isJsonObject(value.config)) problems.push(`${role}.config is not an object`);
  if (typeof value.weights !== 'string' || value.weights === '' || /[\\/]/.test(value.weights))
    problems.push(`${role}.weights is not a file name inside the bundle`);
  if (value.folds !== undefined) checkFolds(value.folds, value.weights, role, problems);
  try {
    checkModelInput(value.input, `${role}.input`);
  } catch (err) {
    if (!(err instanceof ModelInputError)) throw err;
    problems.push(err.message);
  }
}

const isFileName = (v: unknown): v is string => typeof v === 'string' && v !== '' && !/[\\/]/.test(v);

function checkFolds(folds: unknown, weights: unknown, role: string, problems: string[]): void {
  if (!Array.isArray(folds) || folds.length === 0 || !folds.every(isFileName))
    problems.push(`${role}.folds is not a non-empty list of file names inside the bundle`);
  else if (folds[0] !== weights)
    problems.push(
      `${role}.folds starts with ${JSON.stringify(folds[0])}, expected the weights file ${JSON.stringify(weights)}`,
    );
  else if (new Set(folds).size !== folds.length) problems.push(`${role}.folds names a file twice`);
}

/** The weight files of a model entry: every fold of an ensemble, else its one file. */
export function modelFiles(entry: BundleModelEntry): string[] {
  return entry.folds ?? [entry.weights];
}

function checkThresholdSource(value: unknown, problems: string[], where = 'thresholdSource'): void {
  if (!isJsonObject(value)) {
    problems.push(`"${where}" is missing or not an object`);
    return;
  }
  unknownFields(value, SOURCE_FIELDS, `${where}.`, problems);
  for (const key of ['rule', 'split', 'at'] as const)
    if (typeof value[key] !== 'string') problems.push(`${where}.${key} is not text`);
  for (const key of ['images', 'siimScore'] as const)
    if (!(value[key] === null || typeof value[key] === 'number'))
      problems.push(`${where}.${key} is ${JSON.stringify(value[key])}, expected a number or null`);
}

const THRESHOLD_FIELDS = ['classifier', 'pixel', 'minArea'];

function checkThresholdValues(t: JsonObject, where: string, problems: string[]): void {
  for (const key of ['classifier', 'pixel'] as const) {
    const v = t[key];
    if (typeof v !== 'number' || !(v >= 0 && v <= 1))
      problems.push(`${where}.${key} is ${JSON.stringify(v)}, expected a number in [0, 1]`);
  }
  if (typeof t.minArea !== 'number' || !(t.minArea >= 0))
    problems.push(`${where}.minArea is ${JSON.stringify(t.minArea)}, expected a number >= 0`);
}

function checkThresholds(t: unknown, problems: string[]): void {
  if (!isJsonObject(t)) {
    problems.push('"thresholds" is missing or not an object');
    return;
  }
  unknownFields(t, THRESHOLD_FIELDS, 'thresholds.', problems);
  checkThresholdValues(t, 'thresholds', problems);
}

const POINT_FIELDS = [...THRESHOLD_FIELDS, 'source', 'recall', 'specificity', 'recallFloor', 'floorMet'];

function checkOperatingPoints(value: unknown, problems: string[]): void {
  if (!isJsonObject(value)) {
    problems.push('"operatingPoints" is not an object');
    return;
  }
  unknownFields(value, OPERATING_POINT_NAMES, 'operatingPoints.', problems);
  for (const name of OPERATING_POINT_NAMES) {
    const where = `operatingPoints.${name}`;
    const point = value[name];
    if (!isJsonObject(point)) {
      problems.push(`${where} is missing or not an object`);
      continue;
    }
    unknownFields(point, POINT_FIELDS, `${where}.`, problems);
    checkThresholdValues(point, where, problems);
    checkThresholdSource(point.source, problems, `${where}.source`);
    for (const key of ['recall', 'specificity', 'recallFloor'] as const) {
      const v = point[key];
      if (!(v === null || (typeof v === 'number' && v >= 0 && v <= 1)))
        problems.push(`${where}.${key} is ${JSON.stringify(v)}, expected a number in [0, 1] or null`);
    }
    if (!(point.floorMet === null || typeof point.floorMet === 'boolean'))
      problems.push(`${where}.floorMet is ${JSON.stringify(point.floorMet)}, expected true, false or null`);
  }
}

/** An entry naming a file inside the bundle with its SHA-256 (images.json, reference.json). */
const namesBundleFile = (v: JsonObject): boolean =>
  typeof v.file === 'string' &&
  v.file !== '' &&
  !/[\\/]/.test(v.file) &&
  typeof v.sha256 === 'string' &&
  /^[0-9a-f]{64}$/.test(v.sha256);

function checkImages(i: unknown, problems: string[]): void {
  if (i === undefined) return;
  if (!isJsonObject(i) || !namesBundleFile(i) || !Number.isInteger(i.training) || !Number.isInteger(i.validation))
    problems.push('images is not {file, sha256, training, validation}');
}

function checkCalibration(value: unknown, problems: string[]): void {
  if (!isJsonObject(value)) {
    problems.push('"calibration" is not an object');
    return;
  }
  if (value.method !== 'temperature')
    problems.push(`calibration.method is ${JSON.stringify(value.method)}, expected "temperature"`);
  const t = value.temperature;
  if (typeof t !== 'number' || !(t > 0) || !Number.isFinite(t))
    problems.push(`calibration.temperature is ${JSON.stringify(t)}, expected a number > 0`);
  if (typeof value.fittedOn !== 'string') problems.push('calibration.fittedOn is not a string');
  if (!isPositiveInteger(value.n))
    problems.push(`calibration.n is ${JSON.stringify(value.n)}, expected a whole number > 0`);
}

function checkReference(value: unknown, problems: string[]): void {
  if (
    !isJsonObject(value) ||
    !namesBundleFile(value) ||
    !isPositiveInteger(value.n) ||
    typeof value.ood !== 'boolean' ||
    typeof value.source !== 'string'
  )
    problems.push('reference is not {file, sha256, n, ood, source}');
  else unknownFields(value, ['file', 'sha256', 'n', 'ood', 'source'], 'reference.', problems);
}

const GATE_FIELDS = [
  'file',
  'sha256',
  'method',
  'featureLayer',
  'threshold',
  'percentile',
  'fittedOn',
  'n',
  'validationN',
];

function checkGate(value: unknown, problems: string[]): void {
  if (!isJsonObject(value)) {
    problems.push('"gate" is not an object');
    return;
  }
  unknownFields(value, GATE_FIELDS, 'gate.', problems);
  if (typeof value.file !== 'string' || value.file === '' || /[\\/]/.test(value.file))
    problems.push('gate.file is not a file name inside the bundle');
  if (typeof value.sha256 !== 'string' || !/^[0-9a-f]{64}$/.test(value.sha256))
    problems.push('gate.sha256 is not a hex SHA-256');
  if (value.method !== 'mahalanobis' && value.method !== 'knn')
    problems.push(`gate.method is ${JSON.stringify(value.method)}, expected "mahalanobis" or "knn"`);
  for (const key of ['featureLayer', 'fittedOn'] as const)
    if (typeof value[key] !== 'string') problems.push(`gate.${key} is not text`);
  if (typeof value.threshold !== 'number' || !Number.isFinite(value.threshold) || value.threshold < 0)
    problems.push(`gate.threshold is ${JSON.stringify(value.threshold)}, expected a number >= 0`);
  if (typeof value.percentile !== 'number' || !(value.percentile > 0 && value.percentile <= 100))
    problems.push(`gate.percentile is ${JSON.stringify(value.percentile)}, expected a number in (0, 100]`);
  for (const key of ['n', 'validationN'] as const)
    if (!isPositiveInteger(value[key]))
      problems.push(`gate.${key} is ${JSON.stringify(value[key])}, expected a whole number > 0`);
}

let legacyNoticeGiven = false;

/** A version-1 manifest brought to version 2; the problems of its own fields are reported as before. */
function upgradeLegacy(json: JsonObject, bundle: string, notice: (text: string) => void): JsonObject {
  const problems: string[] = [];
  const entry = (role: 'classifier' | 'segmenter'): unknown => {
    const value = json[role];
    if (!isJsonObject(value)) return value;
    const { inputSize, normalization, ...rest } = value;
    if (!isJsonObject(inputSize) || !isPositiveInteger(inputSize.width) || !isPositiveInteger(inputSize.height)) {
      problems.push(`${role}.inputSize is not {width, height} in positive integers`);
      return rest;
    }
    if (!isJsonObject(normalization) || typeof normalization.mean !== 'number' || !(Number(normalization.std) > 0)) {
      problems.push(`${role}.normalization is not {mean, std} with std > 0`);
      return rest;
    }
    const size = { width: inputSize.width, height: inputSize.height };
    return { ...rest, input: modelInput(size, { mean: normalization.mean, std: normalization.std as number }) };
  };
  const classifier = entry('classifier');
  const segmenter = entry('segmenter');
  if (problems.length > 0)
    throw new BundleError(
      bundle,
      problems.map((p) => `${BUNDLE_MANIFEST}: ${p}`),
    );
  if (!legacyNoticeGiven) {
    legacyNoticeGiven = true;
    notice(
      `bundle ${bundle}: ${BUNDLE_MANIFEST} is version 1 (made before the model-input contract); each model's input is taken as the loader's defaults at its recorded size and normalisation (DICOM VOI display, area resize, 65535 levels)`,
    );
  }
  const source = isJsonObject(json.thresholdSource) ? json.thresholdSource : {};
  return {
    ...json,
    formatVersion: BUNDLE_FORMAT_VERSION,
    classifier,
    segmenter,
    thresholdSource: {
      rule: typeof source.method === 'string' ? source.method : 'unknown',
      split: typeof source.evaluatedOn === 'string' ? source.evaluatedOn : 'not recorded',
      images: null,
      at: typeof source.at === 'string' ? source.at : String(json.createdAt ?? ''),
      siimScore: typeof source.siimScore === 'number' ? source.siimScore : null,
    },
  };
}

/**
 * Checks the parsed JSON of bundle.json (version 2, or version 1, upgraded, with a notice once per
 * process); throws a BundleError listing every problem.
 */
export function validateManifest(
  json: unknown,
  bundle: string,
  notice: (text: string) => void = console.warn,
): BundleManifest {
  if (!isJsonObject(json)) throw new BundleError(bundle, [`${BUNDLE_MANIFEST} is not a JSON object`]);
  if (json.format !== BUNDLE_FORMAT)
    throw new BundleError(bundle, [
      `${BUNDLE_MANIFEST} is not a pneumo bundle (format is ${JSON.stringify(json.format)})`,
    ]);
  if (json.formatVersion === LEGACY_FORMAT_VERSION) json = upgradeLegacy(json, bundle, notice);
  const manifest = json as JsonObject;
  if (manifest.formatVersion !== BUNDLE_FORMAT_VERSION)
    throw new BundleError(bundle, [
      `${BUNDLE_MANIFEST} has format version ${JSON.stringify(manifest.formatVersion)}; this pneumo reads versions ${LEGACY_FORMAT_VERSION} and ${BUNDLE_FORMAT_VERSION}`,
    ]);
  const problems: string[] = [];
  unknownFields(manifest, TOP_FIELDS, '', problems);
  for (const key of TOP_FIELDS)
    if (!(key in manifest) && !OPTIONAL_FIELDS.includes(key)) problems.push(`"${key}" is missing`);
  checkModel(manifest.classifier, 'classifier', problems);
  checkModel(manifest.segmenter, 'segmenter', problems);
  checkThresholds(manifest.thresholds, problems);
  checkThresholdSource(manifest.thresholdSource, problems);
  checkImages(manifest.images, problems);
  if (manifest.calibration !== undefined) checkCalibration(manifest.calibration, problems);
  if (manifest.reference !== undefined) checkReference(manifest.reference, problems);
  if (manifest.operatingPoints !== undefined) {
    checkOperatingPoints(manifest.operatingPoints, problems);
    const siim = isJsonObject(manifest.operatingPoints) ? manifest.operatingPoints.siim : undefined;
    if (
      isJsonObject(siim) &&
      isJsonObject(manifest.thresholds) &&
      THRESHOLD_FIELDS.some((k) => siim[k] !== (manifest.thresholds as JsonObject)[k])
    )
      problems.push('thresholds differ from operatingPoints.siim (they are the same point, kept for older readers)');
  }
  if (manifest.gate !== undefined) checkGate(manifest.gate, problems);
  if (problems.length > 0)
    throw new BundleError(
      bundle,
      problems.map((p) => `${BUNDLE_MANIFEST}: ${p}`),
    );
  return manifest as unknown as BundleManifest;
}
