// Hand-made X-ray stand-ins whose predictions under the tiny analytic models are known exactly.
import type { GrayImage } from '../../src/data/image.js';

export interface Square {
  x: number;
  y: number;
  side: number;
}

/** Background 0.1 with an optional bright (0.9) square. */
export function squareImage(width: number, height: number, square: Square | null): GrayImage {
  const pixels = new Float32Array(width * height).fill(0.1);
  if (square)
    for (let y = square.y; y < square.y + square.side; y++)
      for (let x = square.x; x < square.x + square.side; x++) pixels[y * width + x] = 0.9;
  return { width, height, pixels };
}

export function squareMask(width: number, height: number, square: Square): Uint8Array {
  const data = new Uint8Array(width * height);
  for (let y = square.y; y < square.y + square.side; y++)
    for (let x = square.x; x < square.x + square.side; x++) data[y * width + x] = 1;
  return data;
}

export function mirrorImage(image: GrayImage): GrayImage {
  const { width, height } = image;
  const pixels = new Float32Array(width * height);
  for (let y = 0; y < height; y++)
    for (let x = 0; x < width; x++) pixels[y * width + x] = image.pixels[y * width + width - 1 - x];
  return { width, height, pixels };
}
