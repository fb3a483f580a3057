// Small hand-made images for the transform tests.
import type { GrayImage, Mask } from '../../../src/data/image.js';
import type { Sample } from '../../../src/data/transforms/sample.js';

export function imageOf(width: number, height: number, f: (x: number, y: number) => number): GrayImage {
  const pixels = new Float32Array(width * height);
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) pixels[y * width + x] = f(x, y);
  return { width, height, pixels };
}

export function maskOf(width: number, height: number, f: (x: number, y: number) => boolean): Mask {
  const data = new Uint8Array(width * height);
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) data[y * width + x] = f(x, y) ? 1 : 0;
  return { width, height, data };
}

/** An image equal to the mask (0.0 / 1.0), for checking that both get the same geometry. */
export function maskAsSample(mask: Mask): Sample {
  return { image: { width: mask.width, height: mask.height, pixels: Float32Array.from(mask.data) }, mask };
}

/** A blob and a bar: asymmetric, so that any flip or rotation shows. */
export function testPattern(size: number): Mask {
  return maskOf(
    size,
    size,
    (x, y) =>
      (x - size * 0.3) ** 2 + (y - size * 0.4) ** 2 < (size * 0.15) ** 2 ||
      (x > size * 0.6 && x < size * 0.7 && y > size * 0.2),
  );
}

export function at(image: GrayImage, x: number, y: number): number {
  return image.pixels[y * image.width + x];
}
