// A small, easy, deterministic dataset held in memory, for training tests: noisy images with a smooth
// background; positives carry a bright disc whose pixels are the mask.
import type { Batch } from '../../src/data/loader.js';
import { Rng } from '../../src/data/random.js';

export interface TinyImage {
  id: string;
  image: Float32Array;
  mask: Float32Array;
  label: 0 | 1;
}

export function tinyImages(count: number, size: number, seed: number, positiveShare = 0.5): TinyImage[] {
  const rng = new Rng(seed);
  return Array.from({ length: count }, (_, k) => {
    const label: 0 | 1 = k < Math.round(count * positiveShare) ? 1 : 0;
    const image = new Float32Array(size * size);
    const mask = new Float32Array(size * size);
    const gx = rng.uniform(-0.3, 0.3);
    const gy = rng.uniform(-0.3, 0.3);
    const r = rng.uniform(size / 8, size / 4);
    const cx = rng.uniform(r, size - r);
    const cy = rng.uniform(r, size - r);
    for (let y = 0; y < size; y++) {
      for (let x = 0; x < size; x++) {
        const i = y * size + x;
        let v = (gx * (x - size / 2) + gy * (y - size / 2)) / size + rng.normal() * 0.3;
        if (label === 1 && (x - cx) ** 2 + (y - cy) ** 2 <= r * r) {
          v += 1.5;
          mask[i] = 1;
        }
        image[i] = v;
      }
    }
    return { id: `tiny-${seed}-${k}`, image, mask, label };
  });
}

/** Batches of `batchSize` in the given order (the last one may be smaller). */
export function tinyBatches(items: readonly TinyImage[], batchSize: number, size: number, epoch = 0): Batch[] {
  const batches: Batch[] = [];
  for (let start = 0, index = 0; start < items.length; start += batchSize, index++) {
    const part = items.slice(start, start + batchSize);
    const n = part.length;
    const images = new Float32Array(n * size * size);
    const masks = new Float32Array(n * size * size);
    part.forEach((item, i) => {
      images.set(item.image, i * size * size);
      masks.set(item.mask, i * size * size);
    });
    batches.push({
      ids: part.map((p) => p.id),
      images,
      masks,
      labels: Float32Array.from(part, (p) => p.label),
      n,
      height: size,
      width: size,
      epoch,
      index,
      failures: [],
    });
  }
  return batches;
}

/** A shuffled order per epoch, the same for the same (seed, epoch). */
export function shuffledBatches(
  items: readonly TinyImage[],
  batchSize: number,
  size: number,
  seed: number,
): (epoch: number) => Batch[] {
  return (epoch) => tinyBatches(Rng.derive(seed, epoch).shuffle([...items]), batchSize, size, epoch);
}
