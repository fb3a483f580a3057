// Reading what a bundle needs from a training run folder: RUN/run.json (format pneumo.run/1 of
// src/train/trainer.ts: model {name, config}, data {folder, valFraction, splitSeed}, threshold
// {value, ...}), RUN/config.json (size, and normalisation when given) and RUN/best.safetensors. The
// reader also accepts the flatter spellings below, and says which field is missing when one is.
// Training normalises with the loader's default (IMAGENET_GRAY) unless its config says otherwise.
import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import type { InputSize, Normalization } from './bundle-manifest.js';
import type { ModelConfig } from './model-contract.js';
import { IMAGENET_GRAY } from '../data/transforms/normalize.js';

export const RUN_MANIFEST = 'run.json';
/** Where the best weights may be, first found wins. */
export const BEST_WEIGHTS_CANDIDATES = [
  'best.safetensors',
  'checkpoints/best.safetensors',
  'best/model.safetensors',
  'model.safetensors',
];

export class TrainingRunError extends Error {
  override name = 'TrainingRunError';
  constructor(
    readonly run: string,
    reason: string,
  ) {
    super(`run ${run}: ${reason}`);
  }
}

export interface TrainingRun {
  dir: string;
  architecture: string;
  config: ModelConfig;
  inputSize: InputSize;
  normalization: Normalization;
  /** Absolute path of the best weights. */
  weights: string;
  /** Classifier threshold chosen on validation, when the run recorded one. */
  threshold: number | null;
  /** The validation split as training made it. */
  split: { validationFraction: number; seed: number } | null;
  /** The data folder the run trained on. */
  data: string | null;
  /** The images the run trained and validated on, when run.json lists them (dataset.trainIds, dataset.validationIds). */
  images: { training: string[]; validation: string[] } | null;
  /** run.json as read, kept in the bundle's provenance without the id lists. */
  manifest: Record<string, unknown>;
}

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

function inputSizeOf(value: unknown): InputSize | null {
  if (Number.isInteger(value) && (value as number) > 0) return { width: value as number, height: value as number };
  if (Array.isArray(value) && value.length === 2 && value.every((v) => Number.isInteger(v) && v > 0))
    return { height: value[0] as number, width: value[1] as number };
  if (isObject(value) && Number.isInteger(value.width) && Number.isInteger(value.height))
    return { width: value.width as number, height: value.height as number };
  return null;
}

function first(json: Json, paths: string[]): unknown {
  for (const p of paths) {
    let v: unknown = json;
    for (const key of p.split('.')) v = isObject(v) ? v[key] : undefined;
    if (v !== undefined) return v;
  }
  return undefined;
}

export async function readTrainingRun(dir: string): Promise<TrainingRun> {
  const run = path.resolve(dir);
  const info = await stat(run).catch(() => null);
  if (!info?.isDirectory()) throw new TrainingRunError(dir, 'no such run folder');
  let manifest: Json;
  try {
    const parsed: unknown = JSON.parse(await readFile(path.join(run, RUN_MANIFEST), 'utf8'));
    if (!isObject(parsed)) throw new Error('not a JSON object');
    manifest = parsed;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new TrainingRunError(
      dir,
      code === 'ENOENT' ? `no ${RUN_MANIFEST}` : `${RUN_MANIFEST} is unusable (${(err as Error).message})`,
    );
  }
  let trainingConfig: Json = {};
  try {
    const parsed: unknown = JSON.parse(await readFile(path.join(run, 'config.json'), 'utf8'));
    if (isObject(parsed)) trainingConfig = parsed;
  } catch {
    // config.json is optional when run.json holds everything
  }
  const both: Json = { ...trainingConfig, ...manifest, config: trainingConfig };
  const named =
    typeof manifest.model === 'string'
      ? manifest.model
      : first(manifest, ['model.name', 'model.architecture', 'architecture', 'modelName']);
  const architecture = named ?? first(both, ['config.model']);
  if (typeof architecture !== 'string') throw new TrainingRunError(dir, `${RUN_MANIFEST} names no model (model.name)`);
  const config = first(both, ['model.config', 'modelConfig', 'config.modelOptions']) ?? {};
  if (!isObject(config)) throw new TrainingRunError(dir, `${RUN_MANIFEST}: model.config is not an object`);
  const inputSize = inputSizeOf(
    first(both, ['inputSize', 'data.inputSize', 'input.size', 'imageSize', 'config.size', 'size']),
  );
  if (!inputSize)
    throw new TrainingRunError(dir, `neither ${RUN_MANIFEST} nor config.json gives the input size (inputSize or size)`);
  const n =
    first(both, ['normalization', 'normalisation', 'data.normalization', 'config.normalization', 'config.normalize']) ??
    IMAGENET_GRAY;
  if (!isObject(n) || typeof n.mean !== 'number' || typeof n.std !== 'number')
    throw new TrainingRunError(dir, `${RUN_MANIFEST}: normalization is not {mean, std}`);
  let weights: string | null = null;
  for (const candidate of BEST_WEIGHTS_CANDIDATES) {
    const full = path.join(run, candidate);
    if ((await stat(full).catch(() => null))?.isFile()) {
      weights = full;
      break;
    }
  }
  if (!weights) throw new TrainingRunError(dir, `no best weights (looked for ${BEST_WEIGHTS_CANDIDATES.join(', ')})`);
  const recorded = first(manifest, ['threshold', 'classifierThreshold', 'validation.threshold', 'best.threshold']);
  const threshold = isObject(recorded) ? recorded.value : recorded;
  const fraction = first(both, [
    'split.validationFraction',
    'split.fraction',
    'data.valFraction',
    'validationFraction',
    'valFraction',
    'config.valFraction',
  ]);
  const seed = first(both, ['split.seed', 'data.splitSeed', 'splitSeed', 'seed', 'config.seed']);
  const data = first(both, ['data.folder', 'data.root', 'data.dir', 'data', 'config.data']);
  const isIdList = (v: unknown): v is string[] => Array.isArray(v) && v.every((id) => typeof id === 'string');
  const trainIds = first(manifest, ['dataset.trainIds']);
  const validationIds = first(manifest, ['dataset.validationIds']);
  return {
    dir: run,
    architecture,
    config,
    inputSize,
    normalization: { mean: n.mean, std: n.std },
    weights,
    threshold: typeof threshold === 'number' ? threshold : null,
    split: typeof fraction === 'number' && typeof seed === 'number' ? { validationFraction: fraction, seed } : null,
    data: typeof data === 'string' ? data : null,
    images: isIdList(trainIds) && isIdList(validationIds) ? { training: trainIds, validation: validationIds } : null,
    manifest,
  };
}
