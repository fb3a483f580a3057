// What happens to a thresholded mask before it is reported: the minimum-area rule (a mask smaller
// than the minimum is dropped whole: a few stray pixels are noise, not pneumothorax) and its
// bounding box. The minimum area is stated in pixels of a 1024x1024 image, i.e. as a share of the
// image, so that it means the same at any resolution.
import { maskArea, type Mask } from '../data/image.js';
import { SIIM_SIZE } from '../data/rle.js';

export interface BoundingBox {
  /** Left column and top row of the box, in image pixels. */
  x: number;
  y: number;
  width: number;
  height: number;
}

/** The minimum area in pixels of a width x height image. */
export function minAreaForImage(minArea1024: number, width: number, height: number): number {
  return (minArea1024 * width * height) / (SIIM_SIZE * SIIM_SIZE);
}

/** Clears the mask in place when its area is below the minimum; returns the area kept (0 when dropped). */
export function applyMinArea(mask: Mask, minArea1024: number): number {
  const area = maskArea(mask);
  if (area > 0 && area < minAreaForImage(minArea1024, mask.width, mask.height)) {
    mask.data.fill(0);
    return 0;
  }
  return area;
}

/** The smallest box holding every mask pixel, or null for an empty mask. */
export function maskBoundingBox(mask: Mask): BoundingBox | null {
  const { width, height, data } = mask;
  let top = -1;
  let bottom = -1;
  let left = width;
  let right = -1;
  for (let y = 0; y < height; y++) {
    const row = y * width;
    let first = -1;
    let last = -1;
    for (let x = 0; x < width; x++) {
      if (data[row + x] !== 0) {
        if (first < 0) first = x;
        last = x;
      }
    }
    if (first < 0) continue;
    if (top < 0) top = y;
    bottom = y;
    if (first < left) left = first;
    if (last > right) right = last;
  }
  if (top < 0) return null;
  return { x: left, y: top, width: right - left + 1, height: bottom - top + 1 };
}
