// The image and mask types every part of pneumo passes around.

/** A grayscale image, row-major, values in [0, 1] with "bright = dense" (MONOCHROME1 already inverted). */
export interface GrayImage {
  width: number;
  height: number;
  pixels: Float32Array;
}

/** A binary mask in image coordinates, row-major, one byte per pixel holding 0 or 1. */
export interface Mask {
  width: number;
  height: number;
  data: Uint8Array;
}

export function emptyMask(width: number, height: number): Mask {
  return { width, height, data: new Uint8Array(width * height) };
}

export function maskArea(mask: Mask): number {
  let area = 0;
  for (let i = 0; i < mask.data.length; i++) area += mask.data[i];
  return area;
}
