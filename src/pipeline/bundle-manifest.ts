// bundle.json: everything `predict` needs besides the weights (ARCHITECTURE.md, "Model bundle").
// Validation collects every problem of a manifest and reports them in one BundleError, so that a
// broken bundle is fixed in one go.
import type { ModelConfig } from './model-contract.js';
import type { Normalization } from '../data/transforms/normalize.js';

export const BUNDLE_FORMAT = 'pneumo-bundle';
export const BUNDLE_FORMAT_VERSION = 1;
export const BUNDLE_MANIFEST = 'bundle.json';
export const CLASSIFIER_WEIGHTS = 'classifier.safetensors';
export const SEGMENTER_WEIGHTS = 'segmenter.safetensors';

export interface InputSize {
  width: number;
  height: number;
}

/** (value - mean) / std on images in [0, 1], as training's loader applies it. */
export type { Normalization };

/** One model of the bundle. Each model carries its own input size and normalisation, as it was trained. */
export interface BundleModelEntry {
  architecture: string;
  config: ModelConfig;
  /** File name inside the bundle folder. */
  weights: string;
  inputSize: InputSize;
  normalization: Normalization;
}

export interface BundleThresholds {
  /** An image is segmented when the classifier probability reaches this (p >= t). */
  classifier: number;
  /** A pixel is in the mask when its probability is above this (q > t). */
  pixel: number;
  /** A mask smaller than this many pixels at 1024x1024 scale is dropped whole. */
  minArea: number;
}

/** Where the thresholds come from: training's validation, or an evaluation that chose them. */
export interface ThresholdSource {
  method: string;
  objective?: string;
  siimScore?: number;
  evaluatedOn?: string;
  at?: string;
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

export interface BundleManifest {
  format: typeof BUNDLE_FORMAT;
  formatVersion: number;
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

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
const isPositiveInteger = (v: unknown): v is number => Number.isInteger(v) && (v as number) > 0;

function checkModel(value: unknown, role: string, problems: string[]): void {
  if (!isObject(value)) {
    problems.push(`"${role}" is missing or not an object`);
    return;
  }
  if (typeof value.architecture !== 'string' || value.architecture === '')
    problems.push(`${role}.architecture is not a name`);
  if (!isObject(value.config)) problems.push(`${role}.config is not an object`);
  if (typeof value.weights !== 'string' || value.weights === '' || /[\\/]/.test(value.weights))
    problems.push(`${role}.weights is not a file name inside the bundle`);
  const size = value.inputSize;
  if (!isObject(size) || !isPositiveInteger(size.width) || !isPositiveInteger(size.height))
    problems.push(`${role}.inputSize is not {width, height} in positive integers`);
  const n = value.normalization;
  if (!isObject(n) || typeof n.mean !== 'number' || typeof n.std !== 'number' || !(n.std > 0))
    problems.push(`${role}.normalization is not {mean, std} with std > 0`);
}

function checkCalibration(value: unknown, problems: string[]): void {
  if (!isObject(value)) {
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

/** Checks the parsed JSON of bundle.json; throws a BundleError listing every problem. */
export function validateManifest(json: unknown, bundle: string): BundleManifest {
  if (!isObject(json)) throw new BundleError(bundle, [`${BUNDLE_MANIFEST} is not a JSON object`]);
  if (json.format !== BUNDLE_FORMAT)
    throw new BundleError(bundle, [
      `${BUNDLE_MANIFEST} is not a pneumo bundle (format is ${JSON.stringify(json.format)})`,
    ]);
  if (json.formatVersion !== BUNDLE_FORMAT_VERSION)
    throw new BundleError(bundle, [
      `${BUNDLE_MANIFEST} has format version ${JSON.stringify(json.formatVersion)}; this pneumo reads version ${BUNDLE_FORMAT_VERSION}`,
    ]);
  const problems: string[] = [];
  checkModel(json.classifier, 'classifier', problems);
  checkModel(json.segmenter, 'segmenter', problems);
  const t = json.thresholds;
  if (!isObject(t)) problems.push('"thresholds" is missing or not an object');
  else {
    for (const key of ['classifier', 'pixel'] as const) {
      const v = t[key];
      if (typeof v !== 'number' || !(v >= 0 && v <= 1))
        problems.push(`thresholds.${key} is ${JSON.stringify(v)}, expected a number in [0, 1]`);
    }
    if (typeof t.minArea !== 'number' || !(t.minArea >= 0))
      problems.push(`thresholds.minArea is ${JSON.stringify(t.minArea)}, expected a number >= 0`);
  }
  if (json.calibration !== undefined) checkCalibration(json.calibration, problems);
  if (problems.length > 0)
    throw new BundleError(
      bundle,
      problems.map((p) => `${BUNDLE_MANIFEST}: ${p}`),
    );
  return json as unknown as BundleManifest;
}
