// What a transform receives and returns, and the contract of a random transform (MONAI style: the
// parameters are drawn once per call and the same geometry goes to the image and its mask).
import type { GrayImage, Mask } from '../image.js';
import type { Rng } from '../random.js';

/** An image with its mask (same size), or with `null` where there is no label (prediction). */
export interface Sample {
  image: GrayImage;
  mask: Mask | null;
}

export interface RandomTransform {
  readonly name: string;
  /** Draws this call's parameters from `rng` once and applies them to the image and the mask. */
  apply(sample: Sample, rng: Rng): Sample;
}

/**
 * A random transform in two steps, as MONAI's: draw this call's parameters within `limits`, then
 * apply them to the image and the mask alike (`draw` is public so tests can see what was drawn).
 */
export abstract class DrawnTransform<Limits, Params> implements RandomTransform {
  abstract readonly name: string;
  constructor(readonly limits: Limits) {}
  abstract draw(rng: Rng, width: number, height: number): Params;
  protected abstract applyDrawn(sample: Sample, params: Params): Sample;
  apply(sample: Sample, rng: Rng): Sample {
    return this.applyDrawn(sample, this.draw(rng, sample.image.width, sample.image.height));
  }
}

export class TransformError extends Error {
  override name = 'TransformError';
}

export function checkSameSize(sample: Sample): void {
  const { image, mask } = sample;
  if (image.pixels.length !== image.width * image.height) {
    throw new TransformError(`image holds ${image.pixels.length} pixels, expected ${image.width}x${image.height}`);
  }
  if (
    mask &&
    (mask.width !== image.width || mask.height !== image.height || mask.data.length !== mask.width * mask.height)
  ) {
    throw new TransformError(
      `mask is ${mask.width}x${mask.height}, image is ${image.width}x${image.height}: they must match`,
    );
  }
}
