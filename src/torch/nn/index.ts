import '../tensor-methods.js';
export { Module, Layer, StateDictError, type LoadResult } from './module.js';
export { Conv2d, ConvTranspose2d, type Conv2dOptions } from './conv.js';
export { BatchNorm2d, GroupNorm, type BatchNormOptions } from './batchnorm.js';
export { Linear } from './linear.js';
export * from './activation.js';
export { Sequential, ModuleList } from './container.js';
export * as init from './init.js';
export { foldBatchNorm, toChannelsLast, castComputeWeights } from './inference-transforms.js';
