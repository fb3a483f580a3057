// Every model by name, as plain data: which encoder, which task, the default config and the
// parameter count of that default (1-channel input). A model's config is plain JSON, so a bundle
// rebuilds the model from bundle.json with createModelFromConfig.
import { createEncoder, ENCODERS } from './encoders.js';
import { Unet, type UnetConfig } from './unet.js';
import { Classifier, type ClassifierConfig } from './classifier.js';

export type ModelConfig = UnetConfig | ClassifierConfig;
export type Model = Unet | Classifier;
/** Everything a caller may override; options of the other task are refused. */
export type ModelOptions = Partial<Omit<UnetConfig, 'name' | 'task' | 'encoder'>> &
  Partial<Omit<ClassifierConfig, 'name' | 'task' | 'encoder'>>;

export interface RegistryEntry {
  name: string;
  task: ModelConfig['task'];
  encoder: string;
  /** Parameters of the default config (inChannels 1). */
  params: number;
  defaults: ModelConfig;
}

export class ModelConfigError extends Error {
  override name = 'ModelConfigError';
}

const UNET_DEFAULTS = {
  inChannels: 1,
  decoderChannels: [256, 128, 64, 32, 16],
  batchNorm: true,
  upsampling: 'nearest',
  attention: null,
  auxHead: false,
  auxDropout: 0.2,
  padMode: 'reflect',
} as const;

const CLASSIFIER_DEFAULTS = { inChannels: 1, pooling: 'avg', dropout: 0.2 } as const;

function unet(encoder: string, params: number, overrides: Partial<UnetConfig> = {}): RegistryEntry {
  const name = `unet-${encoder}`;
  const defaults: UnetConfig = {
    name,
    task: 'segmentation',
    encoder,
    ...UNET_DEFAULTS,
    decoderChannels: [...UNET_DEFAULTS.decoderChannels],
    ...overrides,
  };
  return { name, task: 'segmentation', encoder, params, defaults };
}

function classifier(encoder: string, params: number): RegistryEntry {
  const name = `classifier-${encoder}`;
  return {
    name,
    task: 'classification',
    encoder,
    params,
    defaults: { name, task: 'classification', encoder, ...CLASSIFIER_DEFAULTS },
  };
}

const SEGMENTERS: RegistryEntry[] = [
  unet('resnet18', 14_321_937),
  unet('resnet34', 24_430_097),
  unet('resnet50', 32_514_833),
  unet('densenet121', 13_601_361),
  unet('vgg16', 18_639_377),
  unet('efficientnet-b0', 5_838_733),
  // ResNet-18 at a quarter width with a slim decoder: tests and the 2-core CPU demo.
  unet('resnet18-w16', 903_321, { decoderChannels: [64, 32, 16, 16, 8] }),
];

const CLASSIFIERS: RegistryEntry[] = [
  classifier('resnet18', 11_170_753),
  classifier('resnet34', 21_278_913),
  classifier('resnet50', 23_503_809),
  classifier('densenet121', 6_948_609),
  classifier('vgg16', 14_714_049),
  classifier('vgg16_bn', 14_722_497),
  classifier('vgg19', 20_023_745),
  classifier('vgg19_bn', 20_034_753),
  classifier('efficientnet-b0', 4_008_253),
  classifier('resnet18-w16', 700_657),
];

export const MODELS: Readonly<Record<string, RegistryEntry>> = Object.fromEntries(
  [...SEGMENTERS, ...CLASSIFIERS].map((e) => [e.name, e]),
);

export function getModelEntry(name: string): RegistryEntry {
  const entry = Object.hasOwn(MODELS, name) ? MODELS[name] : undefined;
  if (!entry)
    throw new ModelConfigError(`Wrong model name \`${name}\`, supported: [${Object.keys(MODELS).join(', ')}]`);
  return entry;
}

const SEGMENTATION_KEYS = [
  'decoderChannels',
  'batchNorm',
  'upsampling',
  'attention',
  'auxHead',
  'auxDropout',
  'peakLogit',
  'padMode',
];
const CLASSIFICATION_KEYS = ['pooling', 'dropout'];

/** The full config of `name` with `options` applied, checked. */
export function resolveConfig(name: string, options: ModelOptions = {}): ModelConfig {
  const entry = getModelEntry(name);
  const allowed = new Set(['inChannels', ...(entry.task === 'segmentation' ? SEGMENTATION_KEYS : CLASSIFICATION_KEYS)]);
  for (const [key, value] of Object.entries(options)) {
    if (value !== undefined && !allowed.has(key))
      throw new ModelConfigError(
        `${name}: option \`${key}\` does not apply to a ${entry.task} model (options: ${[...allowed].join(', ')})`,
      );
  }
  const defined = Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined));
  const config = { ...structuredClone(entry.defaults), ...defined } as ModelConfig;
  checkConfig(config);
  return config;
}

function checkConfig(c: ModelConfig): void {
  const bad = (key: string, expected: string, value: unknown): never => {
    throw new ModelConfigError(`${c.name}: expected ${expected} for ${key} but received ${JSON.stringify(value)}`);
  };
  const positiveInt = (v: unknown) => Number.isInteger(v) && (v as number) > 0;
  const probability = (v: unknown) => typeof v === 'number' && v >= 0 && v < 1;
  if (!positiveInt(c.inChannels)) bad('inChannels', 'a positive integer', c.inChannels);
  if (c.task === 'segmentation') {
    if (!Array.isArray(c.decoderChannels) || c.decoderChannels.length !== 5 || !c.decoderChannels.every(positiveInt))
      bad('decoderChannels', '5 positive integers (deepest block first)', c.decoderChannels);
    if (c.upsampling !== 'nearest' && c.upsampling !== 'transposed')
      bad('upsampling', '"nearest" or "transposed"', c.upsampling);
    if (c.attention !== null && c.attention !== 'scse') bad('attention', 'null or "scse"', c.attention);
    if (typeof c.batchNorm !== 'boolean') bad('batchNorm', 'a boolean', c.batchNorm);
    if (typeof c.auxHead !== 'boolean') bad('auxHead', 'a boolean', c.auxHead);
    if (!probability(c.auxDropout)) bad('auxDropout', 'a probability in [0, 1)', c.auxDropout);
    if (c.peakLogit !== undefined && typeof c.peakLogit !== 'boolean') bad('peakLogit', 'a boolean', c.peakLogit);
    if (c.peakLogit && c.auxHead) bad('peakLogit', 'false when auxHead gives the image logit', c.peakLogit);
    if (c.padMode !== 'reflect' && c.padMode !== 'zero') bad('padMode', '"reflect" or "zero"', c.padMode);
  } else {
    if (c.pooling !== 'avg' && c.pooling !== 'avgmax') bad('pooling', '"avg" or "avgmax"', c.pooling);
    if (!probability(c.dropout)) bad('dropout', 'a probability in [0, 1)', c.dropout);
  }
}

/** A model with PyTorch's default (torchvision-style) initialisation; call loadPretrained for weights. */
export function createModel(name: string, options: ModelOptions = {}): Model {
  return buildModel(resolveConfig(name, options));
}

/** Rebuilds a model from its saved config (bundle.json, checkpoints). */
export function createModelFromConfig(config: ModelConfig): Model {
  const entry = getModelEntry(config.name);
  if (config.task !== entry.task || config.encoder !== entry.encoder)
    throw new ModelConfigError(
      `${config.name}: config says ${config.task} with encoder ${config.encoder}, the registry ${entry.task} with ${entry.encoder}`,
    );
  const { name, task: _task, encoder: _encoder, ...options } = config;
  return createModel(name, options);
}

export function createSegmenter(name: string, options: ModelOptions = {}): Unet {
  const model = createModel(name, options);
  if (!(model instanceof Unet))
    throw new ModelConfigError(`${name} is a classification model; segmenters: ${namesOf('segmentation').join(', ')}`);
  return model;
}

export function createClassifier(name: string, options: ModelOptions = {}): Classifier {
  const model = createModel(name, options);
  if (!(model instanceof Classifier))
    throw new ModelConfigError(`${name} is a segmentation model; classifiers: ${namesOf('classification').join(', ')}`);
  return model;
}

function namesOf(task: ModelConfig['task']): string[] {
  return Object.values(MODELS)
    .filter((e) => e.task === task)
    .map((e) => e.name);
}

function buildModel(config: ModelConfig): Model {
  if (!Object.hasOwn(ENCODERS, config.encoder))
    throw new ModelConfigError(`${config.name}: unknown encoder ${config.encoder}`);
  if (config.task === 'segmentation')
    return new Unet(config, createEncoder(config.encoder, { inChannels: config.inChannels, featuresOnly: true }));
  return new Classifier(config, createEncoder(config.encoder, { inChannels: config.inChannels }));
}

/** Forward FLOPs of one image (2 x multiply-accumulates of conv and linear layers). */
export function modelFlops(model: Model, height: number, width = height): number {
  return 2 * model.macs(height, width);
}
