// What the training loop needs of a model: a module whose forward gives image logits (classifier) or
// mask logits with an optional image logit (U-Net with an aux head), and optionally an encoder that can
// be frozen. The registry's Classifier and Unet fit it.
import type { Tensor, nn } from '../torch/index.js';

export interface SegmentationLogits {
  /** [N, 1, H, W] pixel logits. */
  mask: Tensor;
  /** [N] image logits of the aux head, when the model has one. */
  label?: Tensor;
}

export type TrainableModel = nn.Module & {
  forward(x: Tensor): Tensor | SegmentationLogits;
  freezeEncoder?(on: boolean): unknown;
  readonly config?: unknown;
};
