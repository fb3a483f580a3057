// The recipes `pneumo fit` runs, as plain data the report shows: presets, then a config file's
// settings, then flags. Each setting has one name (FitPlan's), the same in the YAML file, in
// `--set name=value` and in the printed plan.
import { parse as parseYaml } from 'yaml';
import type { FitPlan } from '../report/fit-summary.js';
import type { RecipeSettings, StageRecipe } from '../report/demo-summary.js';
import { DEVICE_PATTERN, PRECISIONS } from '../torch/compute-names.js';
import { ConfigError, resolveTrainConfig } from '../train/config.js';
import { getModelEntry } from '../models/index.js';

export type { FitPlan };

// The classifier is a U-Net whose image logit is its mask's peak evidence (the mean of its largest
// pixel logits), trained on balanced epochs with the mask loss plus the image-level BCE, from the
// segmenter's encoder: it has to find the pneumothorax to call an image positive, where a pooled
// classifier on small faint findings learnt little but the drain. Drains drawn on negatives in
// training (5% + 95% x 0.37 = 40%, the positives' rate in SIIM-like data) take away what link is
// left. What remains is learning to tell a drain from a pleural line, which takes epochs
// (docs/measurements.md has the test AUC by epoch). The last epoch's weights are kept: a small
// validation split cannot rank the last epochs and carries the training set's drain link, so its best
// epoch is not the test set's.
export const PEAK_CLASSIFIER: RecipeSettings = {
  modelOptions: { peakLogit: true },
  positiveFraction: 'balanced',
  auxLossWeight: 1,
  keepWeights: 'last',
  // With the last epoch kept, validation only draws the curve, which every 4th epoch draws well enough.
  validateEvery: 4,
  augment: {
    hflip: { p: 0.5 },
    shiftScaleRotate: { p: 0.5 },
    brightnessContrast: { p: 0.5 },
    gamma: { p: 0.5 },
    drain: { p: 0.37, negativesOnly: true },
  },
};

/** The CPU recipe: the demo's small plan (a 0.9M-parameter U-Net at 320 px in bf16). */
export const CPU_SEGMENTER: StageRecipe = { model: 'unet-resnet18-w16', epochs: 30, batch: 8, lr: 2e-3 };
export const CPU_CLASSIFIER: StageRecipe = {
  model: 'unet-resnet18-w16',
  epochs: 24,
  batch: 8,
  lr: 1e-3,
  settings: PEAK_CLASSIFIER,
};

const COMMON = { valFraction: 0.2, seed: 1, rle: 'relative', maxBatchesPerEpoch: null } as const;

/**
 * A GPU preset: fp16 on CUDA, 5 folds from ImageNet weights; the classifier is the segmenter's U-Net
 * with the peak-evidence settings, for half the epochs at half the learning rate.
 */
function gpuPreset(preset: string, inputSize: number, segmenter: StageRecipe): FitPlan {
  const { epochs, lr } = segmenter;
  const classifier = { ...segmenter, epochs: epochs / 2, lr: lr / 2, settings: PEAK_CLASSIFIER };
  return {
    preset,
    inputSize,
    precision: 'fp16',
    device: 'cuda',
    segmenter,
    classifier,
    folds: 5,
    pretrained: 'imagenet',
    ...COMMON,
  };
}

/**
 * The GPU presets follow what the top SIIM-ACR solutions reported: U-Nets on ImageNet ResNet-34 (and
 * larger) encoders, trained at 512 px and at full resolution, 5 folds averaged, in mixed precision.
 */
export const FIT_PRESETS: Record<string, FitPlan> = {
  cpu: {
    preset: 'cpu',
    inputSize: 320,
    precision: 'bf16',
    device: 'cpu',
    segmenter: CPU_SEGMENTER,
    classifier: CPU_CLASSIFIER,
    folds: 1,
    pretrained: null,
    ...COMMON,
  },
  'gpu-512': gpuPreset('gpu-512', 512, { model: 'unet-resnet34', epochs: 40, batch: 16, lr: 1e-3 }),
  'gpu-1024': gpuPreset('gpu-1024', 1024, { model: 'unet-resnet50', epochs: 30, batch: 4, lr: 5e-4 }),
};

const STAGE_KEYS = ['model', 'epochs', 'batch', 'lr', 'settings'];
const PLAN_KEYS = Object.keys(FIT_PRESETS.cpu);

function isMapping(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Settings merged onto a plan: stage recipes key by key (a recipe's `settings` too), the rest replaced. */
function mergeInto(plan: FitPlan, settings: Record<string, unknown>, source: string): FitPlan {
  const merged = structuredClone(plan) as unknown as Record<string, unknown>;
  for (const [key, value] of Object.entries(settings)) {
    if (value === undefined) continue;
    if (!PLAN_KEYS.includes(key) || key === 'preset')
      throw new ConfigError(
        `${source}: unknown setting ${key} (known: ${PLAN_KEYS.filter((k) => k !== 'preset').join(', ')})`,
        key,
      );
    if (key === 'segmenter' || key === 'classifier') {
      if (!isMapping(value))
        throw new ConfigError(`${source}: ${key} must be a mapping of ${STAGE_KEYS.join(', ')}`, key);
      const stage = merged[key] as Record<string, unknown>;
      for (const [k, v] of Object.entries(value)) {
        if (!STAGE_KEYS.includes(k))
          throw new ConfigError(
            `${source}: unknown setting ${key}.${k} (known: ${STAGE_KEYS.join(', ')})`,
            `${key}.${k}`,
          );
        stage[k] = k === 'settings' && isMapping(v) ? { ...(stage.settings as object), ...v } : v;
      }
    } else merged[key] = value;
  }
  return merged as unknown as FitPlan;
}

/** `name=value` (a dotted name, a YAML value) as a nested mapping: `segmenter.epochs=5`. */
export function parseSetting(text: string): Record<string, unknown> {
  const eq = text.indexOf('=');
  if (eq <= 0) throw new ConfigError(`--set ${text}: expected NAME=VALUE, e.g. segmenter.epochs=5`);
  const names = text.slice(0, eq).split('.');
  let value: unknown = parseYaml(text.slice(eq + 1));
  for (const name of names.reverse()) value = { [name]: value };
  return value as Record<string, unknown>;
}

function check(plan: FitPlan, source: string): FitPlan {
  const bad = (key: string, expected: string, value: unknown): never => {
    throw new ConfigError(`${source}: expected ${expected} for ${key} but received ${JSON.stringify(value)}`, key);
  };
  const isInt = (v: unknown, min: number) => Number.isInteger(v) && (v as number) >= min;
  if (!isInt(plan.inputSize, 32) || plan.inputSize % 32 !== 0)
    bad('inputSize', 'a multiple of 32 (the encoders reduce by 32)', plan.inputSize);
  if (!PRECISIONS.includes(plan.precision)) bad('precision', PRECISIONS.join(', '), plan.precision);
  if (typeof plan.device !== 'string' || !DEVICE_PATTERN.test(plan.device))
    bad('device', 'auto, cpu, cuda or cuda:N', plan.device);
  if (!isInt(plan.folds, 1)) bad('folds', 'a positive integer (1: one validation split)', plan.folds);
  if (!(typeof plan.valFraction === 'number' && plan.valFraction > 0 && plan.valFraction < 1))
    bad('valFraction', 'a fraction in (0, 1)', plan.valFraction);
  if (!isInt(plan.seed, 0)) bad('seed', 'an integer >= 0', plan.seed);
  if (plan.pretrained !== null && (typeof plan.pretrained !== 'string' || plan.pretrained === ''))
    bad('pretrained', 'imagenet, a catalog name, a file, or null', plan.pretrained);
  if (!['relative', 'absolute', 'auto'].includes(plan.rle)) bad('rle', 'relative, absolute or auto', plan.rle);
  if (plan.maxBatchesPerEpoch !== null && !isInt(plan.maxBatchesPerEpoch, 1))
    bad('maxBatchesPerEpoch', 'a positive integer or null', plan.maxBatchesPerEpoch);
  for (const role of ['segmenter', 'classifier'] as const) {
    const s = plan[role];
    if (typeof s.model !== 'string' || s.model === '') bad(`${role}.model`, 'a model name', s.model);
    if (!isInt(s.epochs, 1)) bad(`${role}.epochs`, 'a positive integer', s.epochs);
    if (!isInt(s.batch, 1)) bad(`${role}.batch`, 'a positive integer', s.batch);
    if (!(typeof s.lr === 'number' && s.lr > 0)) bad(`${role}.lr`, 'a positive number', s.lr);
    if (s.settings !== undefined && !isMapping(s.settings)) bad(`${role}.settings`, 'a mapping', s.settings);
    // The training config checks every recipe setting; a dry resolve here makes a bad one fail now.
    let task: 'segmenter' | 'classifier';
    try {
      task = getModelEntry(s.model).task === 'segmentation' ? 'segmenter' : 'classifier';
    } catch (err) {
      throw new ConfigError(`${source}: ${role}.model: ${(err as Error).message}`, `${role}.model`);
    }
    resolveTrainConfig(
      task,
      {},
      { data: '-', out: '-', model: s.model, size: plan.inputSize, ...(s.settings ?? {}) },
      `${source}: ${role}.settings`,
    );
  }
  return plan;
}

/**
 * The plan a fit runs: the preset, then each layer of settings in order (a config file, then flags),
 * checked; an unknown preset or setting is a ConfigError naming the known ones.
 */
export function resolveFitPlan(
  preset: string,
  layers: readonly { source: string; settings: Record<string, unknown> }[] = [],
): FitPlan {
  const base = FIT_PRESETS[preset];
  if (!base)
    throw new ConfigError(`unknown preset ${preset} (known: ${Object.keys(FIT_PRESETS).join(', ')})`, 'preset');
  let plan = structuredClone(base);
  for (const layer of layers) plan = mergeInto(plan, layer.settings, layer.source);
  return check(plan, layers.at(-1)?.source ?? `preset ${preset}`);
}
