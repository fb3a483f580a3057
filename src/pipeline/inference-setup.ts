// How the predictor rearranges its two loaded models before the first image: batch norms folded into
// their convolutions, channels-last weights, and for bf16 the convolution and linear weights cast once.
// The defaults are what `pneumo bench predict-precision` measured faster on this engine's CPU path
// (the figures are in issue 11's note); other devices keep the models as they are.
import * as torch from '../torch/index.js';
import type { Module } from '../torch/nn/index.js';

export interface InferenceSetup {
  foldBatchNorm: boolean;
  channelsLast: boolean;
  /** bf16/fp16 only: cast the compute weights once instead of at every call. */
  castWeights: boolean;
}

export const PLAIN_SETUP: InferenceSetup = { foldBatchNorm: false, channelsLast: false, castWeights: false };

export function defaultInferenceSetup(precision: torch.Precision, device: string): InferenceSetup {
  if (device !== 'cpu') return PLAIN_SETUP;
  return { foldBatchNorm: true, channelsLast: false, castWeights: precision !== 'fp32' };
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
