// How the predictor rearranges its two loaded models before the first image: batch norms folded into
// their convolutions, channels-last weights, and for bf16 the convolution and linear weights cast once.
// The defaults follow measurements on this engine's CPU path, which `pneumo bench predict-precision`
// repeats for every setup (docs/inference-setup.md keeps the figures):
// - folding saves the batch norms' passes over the activations: on for every model;
// - channels-last suits oneDNN's convolutions on the U-Nets, but DenseNet's concatenations reorder
//   its activations back and forth, so DenseNet encoders stay NCHW;
// - casting bf16 weights once saves a cast at every call: on for bf16.
// Other devices keep the models as they are.
import * as torch from '../torch/index.js';
import type { Module } from '../torch/nn/index.js';

export interface InferenceSetup {
  foldBatchNorm: boolean;
  channelsLast: boolean;
  /** bf16/fp16 only: cast the compute weights once instead of at every call. */
  castWeights: boolean;
}

export const PLAIN_SETUP: InferenceSetup = { foldBatchNorm: false, channelsLast: false, castWeights: false };

/** The setup measured fastest for a model with this encoder (when known) at this precision on this device. */
export function defaultInferenceSetup(precision: torch.Precision, device: string, encoder?: string): InferenceSetup {
  if (device !== 'cpu') return PLAIN_SETUP;
  const lowPrecision = precision !== 'fp32';
  return {
    foldBatchNorm: true,
    channelsLast: !(encoder ?? '').startsWith('densenet'),
    castWeights: lowPrecision,
  };
}

/** The encoder name of a registry model (its config says), or undefined for other modules. */
export function encoderOf(model: object): string | undefined {
  const config = (model as { config?: { encoder?: unknown } }).config;
  return typeof config?.encoder === 'string' ? config.encoder : undefined;
}

// Tracing needs one forward only: the smallest input every model family takes (five halvings).
const TRACE_SHAPE = [1, 1, 64, 64];

/** Applies the setup to an eval-mode model on `device`; the model is for inference only afterwards. */
export function prepareForInference(
  model: Module & { forward(input: torch.Tensor): unknown },
  device: string,
  precision: torch.Precision,
  setup: InferenceSetup,
): void {
  if (setup.foldBatchNorm) {
    model.eval();
    torch.nn.foldBatchNorm(model, () => {
      model.forward(torch.zeros(TRACE_SHAPE, { device }));
    });
  }
  if (setup.channelsLast) torch.nn.toChannelsLast(model);
  if (setup.castWeights && precision !== 'fp32')
    torch.nn.castComputeWeights(model, precision === 'bf16' ? 'bfloat16' : 'float16');
}
