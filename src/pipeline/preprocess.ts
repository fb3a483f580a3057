// Images to a model's input batch, in the engine: resize to the model's input size (area averaging
// when shrinking, as training's loader does; exact for the whole factors of 1024 -> 512/256;
// bilinear when growing), then (x - mean) / std. Runs inside the caller's scope.
import * as torch from '../torch/index.js';
import type { GrayImage } from '../data/image.js';
import type { InputSize, Normalization } from './bundle-manifest.js';

function resized(batch: torch.Tensor, size: InputSize): torch.Tensor {
  const [, , height, width] = batch.shape;
  if (height === size.height && width === size.width) return batch;
  if (height >= size.height && width >= size.width) return torch.adaptiveAvgPool2d(batch, [size.height, size.width]);
  return torch.interpolate(batch, { size: [size.height, size.width], mode: 'bilinear', alignCorners: false });
}

/** [N, 1, H, W] float32, normalised. Images of one size are resized together, others one by one. */
export function preprocessBatch(
  images: readonly GrayImage[],
  size: InputSize,
  normalization: Normalization,
): torch.Tensor {
  if (images.length === 0) throw new Error('preprocess: no image');
  const sameSize = images.every((im) => im.width === images[0].width && im.height === images[0].height);
  const planes = (list: readonly GrayImage[]) => list.map((im) => torch.tensor(im.pixels, [1, 1, im.height, im.width]));
  const batch = sameSize
    ? resized(torch.cat(planes(images), 0), size)
    : torch.cat(
        planes(images).map((t) => resized(t, size)),
        0,
      );
  return batch.sub(normalization.mean).div(normalization.std);
}

/** The horizontal mirror of a [N, C, H, W] batch (test-time augmentation). */
export function mirror(batch: torch.Tensor): torch.Tensor {
  return torch.flip(batch, [3]);
}
