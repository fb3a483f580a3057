// The public face of src/models: build models by name, load pretrained weights, count FLOPs.
export {
  MODELS,
  ModelConfigError,
  createModel,
  createModelFromConfig,
  createSegmenter,
  createClassifier,
  getModelEntry,
  resolveConfig,
  modelFlops,
  type Model,
  type ModelConfig,
  type ModelOptions,
  type RegistryEntry,
} from './registry.js';
export { Unet, type UnetConfig, type SegmentationOutput } from './unet.js';
export { Classifier, type ClassifierConfig } from './classifier.js';
export { Encoder, type EncoderOptions, type EncoderSpec } from './encoder.js';
export { ENCODERS, createEncoder, getEncoderSpec } from './encoders.js';
export {
  loadPretrained,
  loadEncoderWeights,
  adaptFirstConv,
  IMAGENET_NORMALIZATION,
  type PretrainedReport,
} from './pretrained.js';
