// Intensity normalisation to what a network expects: (value - mean) / std, on images in [0, 1].
import type { GrayImage } from '../image.js';
import { TransformError } from './sample.js';

export interface Normalization {
  mean: number;
  std: number;
}

/**
 * ImageNet's per-channel means and standard deviations averaged over R, G and B: a grayscale image fed
 * to a pretrained encoder whose first convolution was summed over channels sees roughly the statistics
 * that encoder was trained on.
 */
export const IMAGENET_GRAY: Normalization = { mean: 0.449, std: 0.226 };

export function checkNormalization(n: Normalization): void {
  if (!Number.isFinite(n.mean) || !Number.isFinite(n.std) || n.std <= 0) {
    throw new TransformError(
      `normalisation needs a finite mean and a positive std, received mean=${n.mean} std=${n.std}`,
    );
  }
}

/** Writes (src - mean) / std into `dst` starting at `offset` (a slot of a batch tensor). */
export function normalizeInto(src: Float32Array, dst: Float32Array, offset: number, n: Normalization): void {
  const scale = 1 / n.std;
  const shift = -n.mean / n.std;
  for (let i = 0; i < src.length; i++) dst[offset + i] = src[i] * scale + shift;
}

export function normalizeImage(image: GrayImage, n: Normalization): GrayImage {
  checkNormalization(n);
  const pixels = new Float32Array(image.pixels.length);
  normalizeInto(image.pixels, pixels, 0, n);
  return { width: image.width, height: image.height, pixels };
}
