// Pixel sampling shared by the geometric transforms: bilinear for images, nearest for masks, with the
// border handled the same way for both so that image and mask stay aligned after any warp.

/**
 * How pixels outside the source are filled: `constant` (a fill value, 0 by default), `reflect`
 * (OpenCV's BORDER_REFLECT_101, `dcb|abcd|cba`, albumentations' default for shift-scale-rotate),
 * `replicate` (the edge pixel repeated).
 */
export type BorderMode = 'constant' | 'reflect' | 'replicate';

/** The limits every geometric random transform has: how it fills what comes from outside the image. */
export interface WarpLimits {
  border: BorderMode;
}

export const BORDER_MODES: readonly BorderMode[] = ['constant', 'reflect', 'replicate'];

/** Folds an index into [0, n) by the border mode; -1 means "outside, use the fill value". */
export function borderIndex(i: number, n: number, mode: BorderMode): number {
  if (i >= 0 && i < n) return i;
  if (mode === 'constant') return -1;
  if (mode === 'replicate' || n === 1) return i < 0 ? 0 : n - 1;
  const period = 2 * (n - 1);
  let j = i % period;
  if (j < 0) j += period;
  return j < n ? j : period - j;
}

/** Samples a row-major plane at (x, y), pixel centres on integer coordinates; `fill` outside a `constant` border. */
type PlaneSampler<Plane> = (
  src: Plane,
  width: number,
  height: number,
  x: number,
  y: number,
  border: BorderMode,
  fill: number,
) => number;

/** Bilinear sample of an image plane. */
export const sampleBilinear: PlaneSampler<Float32Array> = (src, width, height, x, y, border, fill) => {
  const x0 = Math.floor(x);
  const y0 = Math.floor(y);
  const fx = x - x0;
  const fy = y - y0;
  if (x0 >= 0 && y0 >= 0 && x0 + 1 < width && y0 + 1 < height) {
    const i = y0 * width + x0;
    const top = src[i] + (src[i + 1] - src[i]) * fx;
    const bottom = src[i + width] + (src[i + width + 1] - src[i + width]) * fx;
    return top + (bottom - top) * fy;
  }
  const xa = borderIndex(x0, width, border);
  const xb = borderIndex(x0 + 1, width, border);
  const ya = borderIndex(y0, height, border);
  const yb = borderIndex(y0 + 1, height, border);
  const v00 = xa < 0 || ya < 0 ? fill : src[ya * width + xa];
  const v01 = xb < 0 || ya < 0 ? fill : src[ya * width + xb];
  const v10 = xa < 0 || yb < 0 ? fill : src[yb * width + xa];
  const v11 = xb < 0 || yb < 0 ? fill : src[yb * width + xb];
  const top = v00 + (v01 - v00) * fx;
  const bottom = v10 + (v11 - v10) * fx;
  return top + (bottom - top) * fy;
};

/** Nearest-neighbour sample of a byte plane (masks), with the same border handling. */
export const sampleNearest: PlaneSampler<Uint8Array> = (src, width, height, x, y, border, fill) => {
  // floor(v + 0.5) rather than Math.round so that -0.5 and 0.5 round the same way (towards +inf).
  const xi = borderIndex(Math.floor(x + 0.5), width, border);
  const yi = borderIndex(Math.floor(y + 0.5), height, border);
  return xi < 0 || yi < 0 ? fill : src[yi * width + xi];
};

/**
 * Warps an image plane and (optionally) a mask plane through dense source-coordinate maps: output
 * pixel i takes the source at (mapX[i], mapY[i]). Used by the distortions.
 */
export function remapPlanes(
  image: Float32Array,
  mask: Uint8Array | null,
  width: number,
  height: number,
  mapX: Float32Array,
  mapY: Float32Array,
  border: BorderMode,
): { image: Float32Array; mask: Uint8Array | null } {
  const outImage = new Float32Array(width * height);
  const outMask = mask ? new Uint8Array(width * height) : null;
  for (let i = 0; i < outImage.length; i++) {
    outImage[i] = sampleBilinear(image, width, height, mapX[i], mapY[i], border, 0);
  }
  if (mask && outMask) {
    for (let i = 0; i < outMask.length; i++)
      outMask[i] = sampleNearest(mask, width, height, mapX[i], mapY[i], border, 0);
  }
  return { image: outImage, mask: outMask };
}
