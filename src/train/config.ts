// The training configuration: every knob with its default, read from a JSON or YAML file, overridden
// by command-line flags, checked, and saved resolved as RUN/config.json so that a run says exactly how
// it was made. Keys are the camelCase names below; an unknown key is an error that lists the known ones.
import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { LOSS_NAMES, type LossConfig } from './losses/index.js';
import { DEVICE_PATTERN, PRECISIONS, type DeviceRequest, type Precision } from '../torch/compute-names.js';
import { fileErrorReason } from '../file-error.js';
import { RLE_OPTIONS, type RleOption } from '../data/labels.js';
import type { SmallMaskSampling } from '../data/mask-size-weights.js';

export type Task = 'classifier' | 'segmenter';
export type Monitor = 'auc' | 'recall' | 'f1' | 'dice' | 'iou' | 'aux_auc' | 'loss';
export type OptimizerName = 'adamw' | 'adam' | 'sgd';
export type ScheduleName = 'cosine' | 'step' | 'plateau' | 'none';

export interface TrainConfig {
  task: Task;
  /** Dataset folder (SIIM format). */
  data: string;
  /** Label CSV, when not one of the standard names inside `data`. */
  labels: string | null;
  /** How the label file's run starts count: SIIM's relative gaps, Kaggle's absolute starts, or auto. */
  rle: RleOption;
  /** Run folder. */
  out: string;
  model: string;
  /** Options passed to the model registry (e.g. `{ auxHead: true }`, `{ dropout: 0.3 }`). */
  modelOptions: Record<string, unknown>;
  /** Encoder weights (torchvision/timm names) as safetensors. */
  pretrained: string | null;
  size: number;
  epochs: number;
  batchSize: number;
  optimizer: OptimizerName;
  lr: number;
  weightDecay: number;
  /** SGD only. */
  momentum: number;
  schedule: ScheduleName;
  /** Cosine: linear warm-up epochs. */
  warmupEpochs: number;
  /** Step: decay every N epochs by `gamma`; plateau: multiply by `gamma` after `patience` flat epochs. */
  stepEpochs: number;
  gamma: number;
  plateauPatience: number;
  /** Maximum global gradient norm; null: no clipping. */
  clipGradNorm: number | null;
  /** Stop after this many epochs without improvement of the monitored metric; null: never. */
  earlyStopping: number | null;
  monitor: Monitor;
  /**
   * Which epoch's weights the run hands on as RUN/best.safetensors: the best by `monitor` on
   * validation, or the last (for a schedule annealed to zero, when the validation split is too small
   * or too biased to rank epochs whose figures differ by less than its noise).
   */
  keepWeights: 'best' | 'last';
  /**
   * Validate after every N-th epoch and after the last (1: every epoch). Only validated epochs can
   * be the best, and early stopping's patience counts validations.
   */
  validateEvery: number;
  valFraction: number;
  /** Split and data order seed; the engine is seeded from it too. */
  seed: number;
  freezeEncoder: boolean;
  /** Unfreeze a frozen encoder after this many epochs; null: keep it frozen. */
  unfreezeAfter: number | null;
  /**
   * Segmenter: null trains on positive images only; otherwise the share of positives per epoch:
   * `balanced`, `0.6`, or a schedule `0.8:0.4` (linear over the run) or `0.8:0.4:10`.
   */
  positiveFraction: string | null;
  /** Image ids to oversample (a CSV or list file, as evaluation writes), and by how much. */
  oversample: string | null;
  oversampleFactor: number;
  /** Positives whose mask covers less than `belowFraction` of the film drawn `factor` times as often; null: none. */
  smallMaskSampling: SmallMaskSampling | null;
  loss: LossConfig;
  /** Segmenter with an aux head: weight of the image-level BCE added to the mask loss. */
  auxLossWeight: number;
  /** Pixel probability that counts as mask, for validation Dice/IoU. */
  pixelThreshold: number;
  /** Which threshold run.json proposes for the classifier. */
  thresholdObjective: 'f1' | 'youden';
  /** The loader's augmentation config (see src/data/transforms/compose.ts); null: none. */
  augment: Record<string, unknown> | null;
  /** Loader worker threads; null: the loader's default. */
  workers: number | null;
  /** Resized-image cache folder; null: RUN/cache. */
  cacheDir: string | null;
  /** Engine threads; null: leave the engine's (PNEUMO_THREADS, else every core). */
  threads: number | null;
  /** Stop an epoch after this many batches (smoke runs); null: the whole epoch. */
  maxBatchesPerEpoch: number | null;
  /** fp32, or bf16/fp16 autocast (fp16 on CUDA only, with dynamic loss scaling). */
  precision: Precision;
  /** auto (the first CUDA device when there is one), cpu, cuda or cuda:N. */
  device: DeviceRequest;
  /** Data parallel: batch-norm statistics over every rank's batch (SyncBatchNorm). */
  syncBatchNorm: boolean;
}

export class ConfigError extends Error {
  override name = 'ConfigError';
  constructor(
    message: string,
    /** The setting whose value is refused, when one is (the CLI tells a bad flag from a bad file by it). */
    readonly setting?: string,
  ) {
    super(message);
  }
}

const DEFAULT_AUGMENT = {
  hflip: { p: 0.5 },
  shiftScaleRotate: { p: 0.5 },
  brightnessContrast: { p: 0.5 },
  gamma: { p: 0.5 },
};

/** Defaults of a task; `data` and `out` have none and must be given. */
export function defaultConfig(task: Task): TrainConfig {
  const classifier = task === 'classifier';
  return {
    task,
    data: '',
    labels: null,
    rle: 'relative',
    out: '',
    model: classifier ? 'classifier-resnet34' : 'unet-resnet34',
    modelOptions: {},
    pretrained: null,
    size: 256,
    epochs: 20,
    batchSize: classifier ? 16 : 8,
    optimizer: 'adamw',
    lr: classifier ? 3e-4 : 1e-3,
    weightDecay: 1e-4,
    momentum: 0.9,
    schedule: 'cosine',
    warmupEpochs: 1,
    stepEpochs: 10,
    gamma: 0.1,
    plateauPatience: 3,
    clipGradNorm: 5,
    earlyStopping: null,
    monitor: classifier ? 'auc' : 'dice',
    keepWeights: 'best',
    validateEvery: 1,
    valFraction: 0.2,
    seed: 1,
    freezeEncoder: false,
    unfreezeAfter: null,
    positiveFraction: null,
    oversample: null,
    oversampleFactor: 3,
    smallMaskSampling: null,
    loss: classifier ? { name: 'bce' } : { name: 'bce-dice' },
    auxLossWeight: 0.2,
    pixelThreshold: 0.5,
    thresholdObjective: 'f1',
    augment: structuredClone(DEFAULT_AUGMENT),
    workers: null,
    cacheDir: null,
    threads: null,
    maxBatchesPerEpoch: null,
    precision: 'fp32',
    device: 'auto',
    syncBatchNorm: false,
  };
}

const MONITORS: Record<Task, Monitor[]> = {
  classifier: ['auc', 'recall', 'f1', 'loss'],
  // aux_auc: the ROC AUC of the image logit (aux head or peak logit), for a segmenter that classifies.
  segmenter: ['dice', 'iou', 'aux_auc', 'loss'],
};

/** Reads a config file: `.yaml`/`.yml` as YAML, anything else as JSON (YAML is a superset, so both parse). */
export function readConfigFile(file: string): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new ConfigError(`config ${file}: cannot read it (${fileErrorReason(err)})`);
  }
  let value: unknown;
  try {
    value = /\.json$/i.test(file) ? JSON.parse(text) : parseYaml(text);
  } catch (err) {
    throw new ConfigError(
      `config ${file}: not valid ${/\.json$/i.test(file) ? 'JSON' : 'YAML'}: ${(err as Error).message.split('\n')[0]}`,
    );
  }
  if (value === null || value === undefined) return {};
  if (typeof value !== 'object' || Array.isArray(value))
    throw new ConfigError(`config ${file}: expected a mapping of settings at the top level`);
  return value as Record<string, unknown>;
}

/**
 * Defaults of the task, then the file's settings, then the flags (undefined flags are ignored), checked.
 * `source` names where the file settings came from, for error messages.
 */
export function resolveTrainConfig(
  task: Task,
  fileSettings: Record<string, unknown>,
  flags: Partial<TrainConfig>,
  source = 'config',
): TrainConfig {
  const config = defaultConfig(task);
  const known = new Set(Object.keys(config));
  const unknown = Object.keys(fileSettings).filter((k) => !known.has(k));
  if (unknown.length > 0)
    throw new ConfigError(
      `${source}: unknown setting${unknown.length > 1 ? 's' : ''} ${unknown.join(', ')} (known: ${[...known].join(', ')})`,
    );
  if ('task' in fileSettings && fileSettings.task !== task)
    throw new ConfigError(`${source}: task is ${String(fileSettings.task)}, but the command trains a ${task}`);
  const merged = { ...config, ...fileSettings } as Record<string, unknown>;
  for (const [k, v] of Object.entries(flags)) if (v !== undefined) merged[k] = v;
  // A loss given as a bare name is the common case in files and flags.
  if (typeof merged.loss === 'string') merged.loss = { name: merged.loss };
  return checkConfig(merged as unknown as TrainConfig, source);
}

function checkConfig(c: TrainConfig, source: string): TrainConfig {
  const bad = (key: string, expected: string): never => {
    throw new ConfigError(
      `${source}: expected ${expected} for ${key} but received ${JSON.stringify((c as unknown as Record<string, unknown>)[key])}`,
      key,
    );
  };
  const isInt = (v: unknown, min: number) => Number.isInteger(v) && (v as number) >= min;
  const isNumber = (v: unknown, min: number) => typeof v === 'number' && Number.isFinite(v) && v >= min;
  const oneOf = (key: keyof TrainConfig, values: readonly unknown[]) => {
    if (!values.includes(c[key])) bad(key, `one of ${values.join(', ')}`);
  };
  if (typeof c.data !== 'string' || c.data === '') bad('data', 'the dataset folder (--data)');
  if (typeof c.out !== 'string' || c.out === '') bad('out', 'the run folder (--out)');
  if (typeof c.model !== 'string' || c.model === '') bad('model', 'a model name');
  if (typeof c.modelOptions !== 'object' || c.modelOptions === null || Array.isArray(c.modelOptions))
    bad('modelOptions', 'a mapping');
  for (const key of ['labels', 'pretrained', 'oversample', 'positiveFraction', 'cacheDir'] as const) {
    if (c[key] !== null && typeof c[key] !== 'string') bad(key, 'a string or null');
  }
  oneOf('rle', RLE_OPTIONS);
  if (!isInt(c.size, 32) || c.size % 32 !== 0) bad('size', 'a multiple of 32 (the encoders reduce by 32)');
  if (!isInt(c.epochs, 1)) bad('epochs', 'a positive integer');
  if (!isInt(c.batchSize, 1)) bad('batchSize', 'a positive integer');
  oneOf('optimizer', ['adamw', 'adam', 'sgd']);
  if (!isNumber(c.lr, 0) || c.lr === 0) bad('lr', 'a positive number');
  if (!isNumber(c.weightDecay, 0)) bad('weightDecay', 'a number >= 0');
  if (!isNumber(c.momentum, 0)) bad('momentum', 'a number >= 0');
  oneOf('schedule', ['cosine', 'step', 'plateau', 'none']);
  if (!isInt(c.warmupEpochs, 0)) bad('warmupEpochs', 'an integer >= 0');
  if (!isInt(c.stepEpochs, 1)) bad('stepEpochs', 'a positive integer');
  if (!isNumber(c.gamma, 0) || c.gamma >= 1 || c.gamma === 0) bad('gamma', 'a number in (0, 1)');
  if (!isInt(c.plateauPatience, 0)) bad('plateauPatience', 'an integer >= 0');
  if (c.clipGradNorm !== null && (!isNumber(c.clipGradNorm, 0) || c.clipGradNorm === 0))
    bad('clipGradNorm', 'a positive number or null');
  if (c.earlyStopping !== null && !isInt(c.earlyStopping, 1)) bad('earlyStopping', 'a positive integer or null');
  if (!MONITORS[c.task].includes(c.monitor)) bad('monitor', `for a ${c.task} one of ${MONITORS[c.task].join(', ')}`);
  oneOf('keepWeights', ['best', 'last']);
  if (!isInt(c.validateEvery, 1)) bad('validateEvery', 'a positive integer');
  if (!isNumber(c.valFraction, 0) || c.valFraction >= 1) bad('valFraction', 'a fraction in [0, 1)');
  if (!isInt(c.seed, 0)) bad('seed', 'an integer >= 0');
  if (typeof c.freezeEncoder !== 'boolean') bad('freezeEncoder', 'true or false');
  if (typeof c.syncBatchNorm !== 'boolean') bad('syncBatchNorm', 'true or false');
  if (c.unfreezeAfter !== null && !isInt(c.unfreezeAfter, 0)) bad('unfreezeAfter', 'an integer >= 0 or null');
  if (!isNumber(c.oversampleFactor, 0)) bad('oversampleFactor', 'a number >= 0');
  if (c.smallMaskSampling !== null) {
    const s = c.smallMaskSampling as unknown as Record<string, unknown>;
    if (
      typeof s !== 'object' ||
      Array.isArray(s) ||
      !isNumber(s.belowFraction, 0) ||
      s.belowFraction === 0 ||
      (s.belowFraction as number) > 1 ||
      !isNumber(s.factor, 0) ||
      Object.keys(s).some((k) => k !== 'belowFraction' && k !== 'factor')
    )
      bad('smallMaskSampling', '{ belowFraction: a fraction in (0, 1], factor: a number >= 0 } or null');
  }
  if (typeof c.loss !== 'object' || c.loss === null || !(LOSS_NAMES as readonly string[]).includes(c.loss.name))
    bad('loss', `a loss (${LOSS_NAMES.join(', ')}) or { name, posWeight, smooth, focalAlpha, focalGamma, weights }`);
  if (!isNumber(c.auxLossWeight, 0)) bad('auxLossWeight', 'a number >= 0');
  if (!isNumber(c.pixelThreshold, 0) || c.pixelThreshold > 1) bad('pixelThreshold', 'a probability');
  oneOf('thresholdObjective', ['f1', 'youden']);
  if (c.augment !== null && (typeof c.augment !== 'object' || Array.isArray(c.augment)))
    bad('augment', 'an augmentation mapping or null');
  if (c.workers !== null && !isInt(c.workers, 1)) bad('workers', 'a positive integer or null');
  if (c.threads !== null && !isInt(c.threads, 1)) bad('threads', 'a positive integer or null');
  oneOf('precision', PRECISIONS);
  if (typeof c.device !== 'string' || !DEVICE_PATTERN.test(c.device)) bad('device', 'auto, cpu, cuda or cuda:N');
  if (c.maxBatchesPerEpoch !== null && !isInt(c.maxBatchesPerEpoch, 1))
    bad('maxBatchesPerEpoch', 'a positive integer or null');
  if (
    c.task === 'classifier' &&
    c.positiveFraction !== null &&
    c.positiveFraction !== 'balanced' &&
    !/^[\d.:]+$/.test(c.positiveFraction)
  )
    bad('positiveFraction', 'balanced, F, START:END or START:END:EPOCHS');
  return c;
}
