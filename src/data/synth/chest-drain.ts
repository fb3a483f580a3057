// A chest drain: a plastic tube that enters the chest through the lateral wall (mid-axillary line,
// 4th-6th intercostal space) and runs up inside the pleural space towards the apex. On a film it is
// a faint band (the tube) carrying a bright radiopaque stripe, interrupted at the sentinel side hole
// just inside the chest wall, with lucent side holes along its tip. Drains come mostly with treated
// pneumothoraces, which is why a classifier can learn the tube instead of the finding.
import type { Rng } from '../random.js';
import type { Anatomy } from './anatomy.js';
import type { Point } from './polar-shape.js';
import { quadraticCurve, strokePolyline } from './raster.js';

export interface ChestDrain {
  /** 0: image-left lung (patient's right), 1: image-right. */
  lung: 0 | 1;
  /** From outside the image, through the skin entry, to the tip near the apex. */
  path: Point[];
  /** Index in `path` where the tube enters the chest. */
  entry: number;
  /** Radius of the tube and of its radiopaque stripe, image units. */
  tubeRadius: number;
  stripeRadius: number;
  tubeDensity: number;
  stripeDensity: number;
  /** Fractions along the inner path (0 at the entry, 1 at the tip) of the sentinel hole's gap. */
  sentinel: [number, number];
}

export function drawChestDrain(rng: Rng, anatomy: Anatomy, lung: 0 | 1): ChestDrain {
  const b = anatomy.lungs[lung].bounds();
  const lateral = lung === 0 ? -1 : 1;
  const wallX = lung === 0 ? b.x0 : b.x1;
  const height = b.y1 - b.y0;
  const entryY = b.y0 + height * rng.uniform(0.5, 0.72);
  const skin = { x: wallX + lateral * rng.uniform(0.03, 0.05), y: entryY + rng.uniform(0.01, 0.03) };
  const outside = quadraticCurve(
    { x: lung === 0 ? -0.03 : 1.03, y: Math.min(1.03, entryY + rng.uniform(0.12, 0.3)) },
    { x: skin.x + lateral * rng.uniform(0.02, 0.06), y: skin.y + rng.uniform(0.02, 0.06) },
    skin,
    12,
  );
  const tip = {
    x: (lung === 0 ? b.x0 : b.x1) - lateral * (b.x1 - b.x0) * rng.uniform(0.3, 0.55),
    y: b.y0 + height * rng.uniform(0.06, 0.16),
  };
  const bend = { x: wallX - lateral * rng.uniform(0.0, 0.03), y: entryY - height * rng.uniform(0.2, 0.35) };
  const inside = quadraticCurve(skin, bend, tip, 30).slice(1);
  const start = rng.uniform(0.12, 0.22);
  return {
    lung,
    path: [...outside, ...inside],
    entry: outside.length - 1,
    tubeRadius: rng.uniform(0.006, 0.009),
    stripeRadius: rng.uniform(0.0016, 0.0024),
    tubeDensity: rng.uniform(0.03, 0.06),
    stripeDensity: rng.uniform(0.25, 0.4),
    sentinel: [start, start + rng.uniform(0.04, 0.07)],
  };
}

export function renderChestDrain(drain: ChestDrain, size: number, out: Float32Array): void {
  const tube = new Float32Array(size * size);
  strokePolyline(tube, size, drain.path, drain.tubeRadius, drain.tubeDensity);
  const stripe = new Float32Array(size * size);
  const inner = drain.path.length - 1 - drain.entry;
  const [gapFrom, gapTo] = drain.sentinel.map((f) => drain.entry + Math.round(f * inner));
  strokePolyline(stripe, size, drain.path.slice(0, gapFrom + 1), drain.stripeRadius, drain.stripeDensity);
  strokePolyline(stripe, size, drain.path.slice(gapTo), drain.stripeRadius, drain.stripeDensity);
  for (let i = 0; i < out.length; i++) out[i] += tube[i] + stripe[i];
}
