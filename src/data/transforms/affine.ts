// Shift-scale-rotate (albumentations' ShiftScaleRotate): rotation and scaling about the image centre,
// then a shift given as a fraction of the width and height. Positive angles turn the content
// counter-clockwise on screen, as in OpenCV. The image is sampled bilinearly and the mask by nearest
// neighbour, both through the same inverse matrix and the same border mode.
import type { Rng } from '../random.js';
import type { BorderMode, WarpLimits } from './sampling.js';
import { sampleBilinear, sampleNearest } from './sampling.js';
import type { Sample } from './sample.js';
import { checkSameSize, DrawnTransform } from './sample.js';

export interface ShiftScaleRotateParams {
  /** Degrees, counter-clockwise on screen. */
  angle: number;
  /** 1 keeps the size; 1.1 enlarges the content by 10%. */
  scale: number;
  /** Fractions of the width and height; positive moves the content right and down. */
  shiftX: number;
  shiftY: number;
}

/** The inverse map: source x = a*x + b*y + c, source y = d*x + e*y + f, for destination (x, y). */
export interface InverseAffine {
  a: number;
  b: number;
  c: number;
  d: number;
  e: number;
  f: number;
}

// cos(90 deg) is 6e-17 in floating point; snapping keeps right-angle rotations exact on the pixel grid.
function snap(v: number): number {
  const r = Math.round(v);
  return Math.abs(v - r) < 1e-12 ? r : v;
}

export function shiftScaleRotateMatrix(p: ShiftScaleRotateParams, width: number, height: number): InverseAffine {
  const theta = (p.angle * Math.PI) / 180;
  const cos = snap(Math.cos(theta)) / p.scale;
  const sin = snap(Math.sin(theta)) / p.scale;
  const cx = (width - 1) / 2;
  const cy = (height - 1) / 2;
  const tx = p.shiftX * width;
  const ty = p.shiftY * height;
  // destination = centre + scale * R(theta) * (source - centre) + shift, with R = [[cos, sin], [-sin, cos]]
  // in y-down image coordinates; inverted: source = centre + R(-theta) / scale * (destination - centre - shift).
  const u0 = -cx - tx;
  const v0 = -cy - ty;
  return { a: cos, b: -sin, c: cx + cos * u0 - sin * v0, d: sin, e: cos, f: cy + sin * u0 + cos * v0 };
}

export function warpAffine(sample: Sample, m: InverseAffine, border: BorderMode): Sample {
  checkSameSize(sample);
  const { image, mask } = sample;
  const { width, height } = image;
  const pixels = new Float32Array(width * height);
  const data = mask ? new Uint8Array(width * height) : null;
  for (let y = 0; y < height; y++) {
    let sx = m.b * y + m.c;
    let sy = m.e * y + m.f;
    const row = y * width;
    for (let x = 0; x < width; x++, sx += m.a, sy += m.d) {
      pixels[row + x] = sampleBilinear(image.pixels, width, height, sx, sy, border, 0);
      if (mask && data) data[row + x] = sampleNearest(mask.data, width, height, sx, sy, border, 0);
    }
  }
  return { image: { width, height, pixels }, mask: data ? { width, height, data } : null };
}

export function shiftScaleRotate(sample: Sample, p: ShiftScaleRotateParams, border: BorderMode = 'reflect'): Sample {
  return warpAffine(sample, shiftScaleRotateMatrix(p, sample.image.width, sample.image.height), border);
}

export interface ShiftScaleRotateLimits extends WarpLimits {
  /** Shift drawn uniformly in [-shift, shift] of the size, per axis. */
  shift: number;
  /** Scale drawn uniformly in [1 - scale, 1 + scale]. */
  scale: number;
  /** Angle drawn uniformly in [-rotate, rotate] degrees. */
  rotate: number;
}

export class RandomShiftScaleRotate extends DrawnTransform<ShiftScaleRotateLimits, ShiftScaleRotateParams> {
  readonly name = 'shiftScaleRotate';

  draw(rng: Rng): ShiftScaleRotateParams {
    const { shift, scale, rotate } = this.limits;
    return {
      angle: rng.uniform(-rotate, rotate),
      scale: rng.uniform(1 - scale, 1 + scale),
      shiftX: rng.uniform(-shift, shift),
      shiftY: rng.uniform(-shift, shift),
    };
  }

  protected applyDrawn(sample: Sample, params: ShiftScaleRotateParams): Sample {
    return shiftScaleRotate(sample, params, this.limits.border);
  }
}
