// Horizontal flip (left-right). Chest X-rays are not symmetric (heart on the left), but pneumothorax
// occurs on both sides, so the flip is a standard SIIM augmentation.
import type { Rng } from '../random.js';
import type { RandomTransform, Sample } from './sample.js';

function flipRows<T extends Float32Array | Uint8Array>(src: T, width: number, height: number, out: T): T {
  for (let y = 0; y < height; y++) {
    const row = y * width;
    for (let x = 0; x < width; x++) out[row + x] = src[row + width - 1 - x];
  }
  return out;
}

export function horizontalFlip(sample: Sample): Sample {
  const { image, mask } = sample;
  return {
    image: {
      ...image,
      pixels: flipRows(image.pixels, image.width, image.height, new Float32Array(image.pixels.length)),
    },
    mask: mask
      ? { ...mask, data: flipRows(mask.data, mask.width, mask.height, new Uint8Array(mask.data.length)) }
      : null,
  };
}

/** Always flips when applied; how often it is applied is the Compose probability. */
export class HorizontalFlip implements RandomTransform {
  readonly name = 'hflip';
  apply(sample: Sample, _rng: Rng): Sample {
    return horizontalFlip(sample);
  }
}
