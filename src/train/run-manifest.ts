// RUN/run.json: what a training run says about itself, written by the trainer after every epoch and
// read by `pneumo bundle`. One type, one writer, one reader, with a schema version. Version 1 (before
// the model-input contract) is still read: its input section is taken to be today's loader defaults
// at the run's trained size (RUN/config.json), and the reader says so once per process.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { writeJsonAtomic } from '../atomic-file.js';
import { FileError } from '../file-error.js';
import { checkModelInput, modelInput, ModelInputError, type ModelInput } from '../data/model-input.js';
import { isJsonObject, type JsonObject } from '../json-object.js';

export const RUN_MANIFEST = 'run.json';
export const RUN_FORMAT = 'pneumo.run';
export const RUN_FORMAT_VERSION = 2;
const LEGACY_FORMAT = 'pneumo.run/1';

export type RunStatus = 'running' | 'finished' | 'interrupted' | 'failed';
export type RunTask = 'classifier' | 'segmenter';

/** The operating point a classifier run proposes: chosen on its validation split (evaluate/operating-point.ts). */
export interface ProposedThreshold {
  value: number | null;
  /** The rule that chose it (`f1` or `youden`). */
  rule: string;
  /** The split and epoch it was chosen on, in words. */
  from: string;
  /** Validation images it was chosen on. */
  images: number | null;
}

export interface RunManifest {
  format: typeof RUN_FORMAT;
  formatVersion: typeof RUN_FORMAT_VERSION;
  status: RunStatus;
  stopReason: string | null;
  error: string | null;
  task: RunTask;
  model: { name: string; config: Record<string, unknown>; parameters: number };
  /** The model-input contract the run's loader made every batch with. */
  input: ModelInput;
  data: { folder: string; labels: string | null; valFraction: number; splitSeed: number };
  monitor: string;
  best: { epoch: number; value: number; threshold: number | null } | null;
  /** Whose weights best.safetensors holds. */
  kept: { epoch: number; value: number | null; threshold: number | null; rule: 'best' | 'last' } | null;
  /** Classifier runs only. */
  threshold: ProposedThreshold | null;
  /** Segmenter runs only: the pixel threshold validation metrics were computed at. */
  pixelThreshold: number | null;
  epochs: { planned: number; completed: number };
  /** Best weights, relative to the run folder. */
  weights: string;
  versions: { node: string; libtorch: string };
  compute: Record<string, unknown>;
  /** Facts about the data and the start (dataset counts, validation ids, pretrained weights). */
  provenance: Record<string, unknown>;
  updatedAt: string;
}

export class RunManifestError extends FileError {
  override name = 'RunManifestError';
}

const FIELDS: Record<keyof RunManifest, (v: unknown) => boolean> = {
  format: (v) => v === RUN_FORMAT,
  formatVersion: (v) => v === RUN_FORMAT_VERSION,
  status: (v) => ['running', 'finished', 'interrupted', 'failed'].includes(v as string),
  stopReason: (v) => v === null || typeof v === 'string',
  error: (v) => v === null || typeof v === 'string',
  task: (v) => v === 'classifier' || v === 'segmenter',
  model: (v) =>
    isJsonObject(v) &&
    typeof v.name === 'string' &&
    v.name !== '' &&
    isJsonObject(v.config) &&
    typeof v.parameters === 'number',
  input: () => true, // checked by checkModelInput, which names the field that is wrong
  data: (v) =>
    isJsonObject(v) &&
    typeof v.folder === 'string' &&
    (v.labels === null || typeof v.labels === 'string') &&
    typeof v.valFraction === 'number' &&
    typeof v.splitSeed === 'number',
  monitor: (v) => typeof v === 'string',
  best: (v) => v === null || isJsonObject(v),
  kept: (v) => v === null || isJsonObject(v),
  threshold: (v) => v === null || (isJsonObject(v) && (v.value === null || typeof v.value === 'number')),
  pixelThreshold: (v) => v === null || typeof v === 'number',
  epochs: (v) => isJsonObject(v) && typeof v.planned === 'number' && typeof v.completed === 'number',
  weights: (v) => typeof v === 'string' && v !== '' && !path.isAbsolute(v),
  versions: (v) => isJsonObject(v),
  compute: (v) => isJsonObject(v),
  provenance: (v) => isJsonObject(v),
  updatedAt: (v) => typeof v === 'string',
};

/** Checks a parsed run.json of the current version; the error names the file and the field. */
export function validateRunManifest(json: unknown, file: string): RunManifest {
  if (!isJsonObject(json)) throw new RunManifestError(file, 'not a JSON object');
  for (const key of Object.keys(json)) if (!(key in FIELDS)) throw new RunManifestError(file, `unknown field "${key}"`);
  for (const [key, ok] of Object.entries(FIELDS)) {
    if (!(key in json)) throw new RunManifestError(file, `field "${key}" is missing`);
    if (!ok(json[key]))
      throw new RunManifestError(file, `field "${key}" is ${JSON.stringify(json[key])?.slice(0, 80)}`);
  }
  try {
    checkModelInput(json.input, 'input');
  } catch (err) {
    if (err instanceof ModelInputError) throw new RunManifestError(file, err.message);
    throw err;
  }
  return json as unknown as RunManifest;
}

/** Writes RUN/run.json atomically, after checking it. */
export function writeRunManifest(runDir: string, manifest: RunManifest): void {
  const file = path.join(runDir, RUN_MANIFEST);
  validateRunManifest(manifest, file);
  writeJsonAtomic(file, manifest);
}

let legacyNoticeGiven = false;

/** Version 1 as the trainer wrote it; its input is the loader's defaults at config.json's size. */
function upgradeLegacy(json: JsonObject, runDir: string, file: string, notice: (text: string) => void): RunManifest {
  const model = json.model;
  if (!isJsonObject(model) || typeof model.name !== 'string')
    throw new RunManifestError(file, 'field "model.name" is missing');
  let size: unknown;
  try {
    size = (JSON.parse(readFileSync(path.join(runDir, 'config.json'), 'utf8')) as JsonObject).size;
  } catch (err) {
    throw new RunManifestError(
      file,
      `version 1 needs config.json beside it for the input size (${(err as Error).message})`,
    );
  }
  if (!Number.isInteger(size)) throw new RunManifestError(file, 'config.json has no integer "size"');
  if (!legacyNoticeGiven) {
    legacyNoticeGiven = true;
    notice(
      `${file} is run.json version 1 (made before the model-input contract): its input is taken as the loader's defaults at ${String(size)} px (DICOM VOI display, area resize, 65535 levels, ImageNet grey normalisation)`,
    );
  }
  const data = isJsonObject(json.data) ? json.data : {};
  const threshold = isJsonObject(json.threshold) ? json.threshold : null;
  return validateRunManifest(
    {
      format: RUN_FORMAT,
      formatVersion: RUN_FORMAT_VERSION,
      status: typeof json.status === 'string' ? json.status : 'finished',
      stopReason: typeof json.stopReason === 'string' ? json.stopReason : null,
      error: typeof json.error === 'string' ? json.error : null,
      task: json.task,
      model: {
        name: model.name,
        config: isJsonObject(model.config) ? model.config : {},
        parameters: Number(model.parameters) || 0,
      },
      input: modelInput({ width: size as number, height: size as number }),
      data: {
        folder: String(data.folder ?? ''),
        labels: typeof data.labels === 'string' ? data.labels : null,
        valFraction: Number(data.valFraction),
        splitSeed: Number(data.splitSeed),
      },
      monitor: String(json.monitor ?? ''),
      best: isJsonObject(json.best) ? json.best : null,
      kept: isJsonObject(json.kept) ? json.kept : null,
      threshold: threshold
        ? {
            value: typeof threshold.value === 'number' ? threshold.value : null,
            rule: String(threshold.objective ?? 'f1'),
            from: String(threshold.from ?? 'validation'),
            images: null,
          }
        : null,
      pixelThreshold: typeof json.pixelThreshold === 'number' ? json.pixelThreshold : null,
      epochs: isJsonObject(json.epochs) ? json.epochs : { planned: 0, completed: 0 },
      weights: 'best.safetensors',
      versions: isJsonObject(json.versions) ? json.versions : {},
      compute: isJsonObject(json.compute) ? json.compute : {},
      provenance: { dataset: json.dataset ?? null, pretrained: json.pretrained ?? null },
      updatedAt: String(json.updatedAt ?? ''),
    },
    file,
  );
}

/** Reads RUN/run.json (version 2, or version 1 upgraded); one-line errors name the file and the field. */
export function readRunManifest(runDir: string, notice: (text: string) => void = console.warn): RunManifest {
  const file = path.join(runDir, RUN_MANIFEST);
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new RunManifestError(file, code === 'ENOENT' ? 'no such file' : `not valid JSON (${(err as Error).message})`);
  }
  if (isJsonObject(json) && json.format === LEGACY_FORMAT) return upgradeLegacy(json, runDir, file, notice);
  if (isJsonObject(json) && json.format === RUN_FORMAT && json.formatVersion !== RUN_FORMAT_VERSION)
    throw new RunManifestError(
      file,
      `run.json version ${JSON.stringify(json.formatVersion)}; this pneumo reads versions 1 and ${RUN_FORMAT_VERSION}`,
    );
  if (!isJsonObject(json) || json.format !== RUN_FORMAT)
    throw new RunManifestError(
      file,
      `not a pneumo run manifest (format is ${JSON.stringify(isJsonObject(json) ? json.format : json)})`,
    );
  return validateRunManifest(json, file);
}

/**
 * The run.json of a run folder assembled around weights trained elsewhere (converted weights,
 * benchmarks and tests): finished, no history, the given contract and threshold.
 */
export function assembledRunManifest(o: {
  task: RunTask;
  model: { name: string; config: Record<string, unknown> };
  input: ModelInput;
  threshold?: number | null;
  data?: string;
}): RunManifest {
  return {
    format: RUN_FORMAT,
    formatVersion: RUN_FORMAT_VERSION,
    status: 'finished',
    stopReason: null,
    error: null,
    task: o.task,
    model: { ...o.model, parameters: 0 },
    input: o.input,
    data: { folder: o.data ?? '', labels: null, valFraction: 0.2, splitSeed: 1 },
    monitor: '',
    best: null,
    kept: null,
    threshold:
      o.task === 'classifier'
        ? { value: o.threshold ?? null, rule: 'given', from: 'assembled run', images: null }
        : null,
    pixelThreshold: null,
    epochs: { planned: 0, completed: 0 },
    weights: 'best.safetensors',
    versions: { node: process.versions.node, libtorch: 'unknown' },
    compute: {},
    provenance: {},
    updatedAt: new Date().toISOString(),
  };
}
