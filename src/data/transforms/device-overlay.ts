// Draws a chest drain on the image whatever its label: drains come mostly with treated
// pneumothoraces, so a classifier can learn the drain instead of the finding. Putting drains on
// images of both classes at the same rate breaks that link in training (the demo's test set
// reverses it and scores drain films on their own).
// The drain is the generator's (src/data/synth/chest-drain.ts) in look: a faint tube carrying a
// bright radiopaque stripe with a gap at the sentinel side hole, entering through a lateral chest
// wall and running up towards the apex. The mask is untouched: a drain is not a pneumothorax. With
// negativesOnly it draws on negatives alone: in a training set whose drains sit mostly on positives,
// drains added to negatives at the right rate remove the link instead of only diluting it.
import type { Rng } from '../random.js';
import { quadraticCurve, strokePolyline } from '../synth/raster.js';
import type { RandomTransform, Sample } from './sample.js';

export interface DrainOverlayOptions {
  /** Leave images with mask pixels (positives) as they are. */
  negativesOnly?: boolean;
}

export class RandomDrainOverlay implements RandomTransform {
  readonly name = 'drain';
  private readonly negativesOnly: boolean;

  constructor(options: DrainOverlayOptions = {}) {
    this.negativesOnly = options.negativesOnly ?? false;
  }

  apply(sample: Sample, rng: Rng): Sample {
    if (this.negativesOnly && sample.mask?.data.some((v) => v !== 0)) return sample;
    const { width, height } = sample.image;
    // Strokes are drawn on a square field in image units; non-square images use the larger side.
    const size = Math.max(width, height);
    // Image left (patient's right) or right; positions mirror.
    const left = rng.bool();
    const mirror = (p: { x: number; y: number }) => (left ? p : { x: 1 - p.x, y: p.y });
    const entryY = rng.uniform(0.42, 0.62);
    const skin = { x: rng.uniform(0.07, 0.12), y: entryY };
    const outside = quadraticCurve(
      { x: -0.03, y: Math.min(1.03, entryY + rng.uniform(0.12, 0.3)) },
      { x: skin.x - rng.uniform(0.02, 0.06), y: skin.y + rng.uniform(0.02, 0.06) },
      skin,
      12,
    );
    const tip = { x: rng.uniform(0.2, 0.33), y: rng.uniform(0.17, 0.26) };
    const bend = { x: rng.uniform(0.14, 0.19), y: entryY - rng.uniform(0.12, 0.2) };
    const inside = quadraticCurve(skin, bend, tip, 30).slice(1);
    const path = [...outside, ...inside].map(mirror);
    const tube = new Float32Array(size * size);
    strokePolyline(tube, size, path, rng.uniform(0.006, 0.009), rng.uniform(0.03, 0.06));
    const stripe = new Float32Array(size * size);
    const stripeRadius = rng.uniform(0.0016, 0.0024);
    const stripeDensity = rng.uniform(0.25, 0.4);
    const entry = outside.length - 1;
    const start = rng.uniform(0.12, 0.22);
    const gapFrom = entry + Math.round(start * inside.length);
    const gapTo = entry + Math.round((start + rng.uniform(0.04, 0.07)) * inside.length);
    strokePolyline(stripe, size, path.slice(0, gapFrom + 1), stripeRadius, stripeDensity);
    strokePolyline(stripe, size, path.slice(gapTo), stripeRadius, stripeDensity);
    const src = sample.image.pixels;
    const pixels = new Float32Array(src.length);
    for (let y = 0; y < height; y++)
      for (let x = 0; x < width; x++) {
        const k = y * width + x;
        const v = src[k] + tube[y * size + x] + stripe[y * size + x];
        pixels[k] = v > 1 ? 1 : v;
      }
    return { image: { ...sample.image, pixels }, mask: sample.mask };
  }
}
