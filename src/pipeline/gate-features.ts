// What the learned gate measures an image by: the classifier encoder's deepest feature map, globally
// average pooled ([N, C]). The registry's models give it beside their output from the same pass
// (forwardWithFeatures), and alone without the decoder or head (pooledFeatures) for fitting.
import type { Tensor } from '../torch/index.js';
import type { PipelineModel } from './model-contract.js';

export interface FeatureModel {
  forwardWithFeatures(x: Tensor): { output: unknown; features: Tensor };
  pooledFeatures(x: Tensor): Tensor;
}

/** Whether the model can give the gate's features (the registry's U-Net and classifier can). */
export function hasGateFeatures(model: PipelineModel): model is PipelineModel & FeatureModel {
  const m = model as Partial<FeatureModel>;
  return typeof m.forwardWithFeatures === 'function' && typeof m.pooledFeatures === 'function';
}

/** The feature layer in words, as bundle.json records it. */
export function featureLayerOf(model: PipelineModel): string {
  const config = (model as { config?: { encoder?: unknown } }).config;
  const encoder = typeof config?.encoder === 'string' ? config.encoder : 'encoder';
  return `${encoder} deepest stage (stride 32), global average pool`;
}
