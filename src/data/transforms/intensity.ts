// Brightness, contrast and gamma: exposure varies a lot between X-ray machines. They change the image
// only; the mask passes through untouched. Results are clipped to [0, 1], the range of a GrayImage.
import type { Rng } from '../random.js';
import { DrawnTransform, type Sample } from './sample.js';

export interface BrightnessContrastParams {
  /** Added to every pixel (in units of the full [0, 1] range). */
  brightness: number;
  /** Multiplies the distance to the image mean: 1 keeps it, 1.2 stretches by 20%. */
  contrast: number;
}

function clip01(v: number): number {
  return v < 0 ? 0 : v > 1 ? 1 : v;
}

function mean(pixels: Float32Array): number {
  let s = 0;
  for (let i = 0; i < pixels.length; i++) s += pixels[i];
  return pixels.length ? s / pixels.length : 0;
}

/** out = clip((v - mean) * contrast + mean + brightness); contrast about the mean keeps the overall exposure. */
export function brightnessContrast(sample: Sample, p: BrightnessContrastParams): Sample {
  const src = sample.image.pixels;
  const m = mean(src);
  const pixels = new Float32Array(src.length);
  const offset = m - m * p.contrast + p.brightness;
  for (let i = 0; i < src.length; i++) pixels[i] = clip01(src[i] * p.contrast + offset);
  return { image: { ...sample.image, pixels }, mask: sample.mask };
}

const GAMMA_STEPS = 4096;

/**
 * out = clip(v)^gamma; gamma < 1 brightens the dark parts, > 1 darkens them. Math.pow per pixel costs
 * more than all other augmentations together, so the curve is tabulated at 4097 points and
 * interpolated linearly (error below 3e-4 near 0 for gamma 0.8, far below 8-bit quantisation).
 */
export function adjustGamma(sample: Sample, gamma: number): Sample {
  const table = new Float32Array(GAMMA_STEPS + 2);
  for (let k = 0; k <= GAMMA_STEPS; k++) table[k] = Math.pow(k / GAMMA_STEPS, gamma);
  table[GAMMA_STEPS + 1] = 1;
  const src = sample.image.pixels;
  const pixels = new Float32Array(src.length);
  for (let i = 0; i < src.length; i++) {
    const t = clip01(src[i]) * GAMMA_STEPS;
    const k = t | 0;
    pixels[i] = table[k] + (table[k + 1] - table[k]) * (t - k);
  }
  return { image: { ...sample.image, pixels }, mask: sample.mask };
}

export interface BrightnessContrastLimits {
  /** Brightness drawn in [-brightness, brightness]. */
  brightness: number;
  /** Contrast factor drawn in [1 - contrast, 1 + contrast]. */
  contrast: number;
}

export class RandomBrightnessContrast extends DrawnTransform<BrightnessContrastLimits, BrightnessContrastParams> {
  readonly name = 'brightnessContrast';

  draw(rng: Rng): BrightnessContrastParams {
    return {
      brightness: rng.uniform(-this.limits.brightness, this.limits.brightness),
      contrast: rng.uniform(1 - this.limits.contrast, 1 + this.limits.contrast),
    };
  }

  protected applyDrawn(sample: Sample, params: BrightnessContrastParams): Sample {
    return brightnessContrast(sample, params);
  }
}

/** Gamma drawn log-uniformly in limits [low, high] so that brightening and darkening are equally likely. */
export class RandomGamma extends DrawnTransform<readonly [number, number], number> {
  readonly name = 'gamma';

  draw(rng: Rng): number {
    return Math.exp(rng.uniform(Math.log(this.limits[0]), Math.log(this.limits[1])));
  }

  protected applyDrawn(sample: Sample, gamma: number): Sample {
    return adjustGamma(sample, gamma);
  }
}
