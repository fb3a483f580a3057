// Images to a model's input batch: the planes come from the model-input contract
// (src/data/model-input.ts), the same functions training's loader uses, so the Predictor's tensor for
// an image is the loader's to the bit; here they only become a tensor. Runs inside the caller's scope.
import * as torch from '../torch/index.js';
import type { GrayImage } from '../data/image.js';
import { modelInputBatch, type ModelInput } from '../data/model-input.js';

/** [N, 1, H, W] float32, as the model-input contract makes it. */
export function preprocessBatch(images: readonly GrayImage[], input: ModelInput): torch.Tensor {
  if (images.length === 0) throw new Error('preprocess: no image');
  return torch.tensor(modelInputBatch(images, input), [images.length, 1, input.height, input.width]);
}

/** The horizontal mirror of a [N, C, H, W] batch (test-time augmentation). */
export function mirror(batch: torch.Tensor): torch.Tensor {
  return torch.flip(batch, [3]);
}
