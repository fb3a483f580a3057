// Devices seen on many chest films, ICU (AP) ones above all: ECG leads and lines, thin bright curves
// that cross the lungs. They are there to be ignored: a model must not take any thin bright line
// for a pleural line.
import type { Rng } from '../random.js';
import type { Anatomy } from './anatomy.js';
import type { ViewPosition } from './metadata.js';
import type { Point } from './polar-shape.js';
import { strokeSegment } from './raster.js';

export interface Wire {
  points: Point[];
  radius: number;
  density: number;
}

export function drawWires(rng: Rng, view: ViewPosition): Wire[] {
  const count = rng.bool(view === 'AP' ? 0.35 : 0.08) ? 1 + rng.int(3) : 0;
  const wires: Wire[] = [];
  for (let i = 0; i < count; i++) {
    const p0 = { x: rng.uniform(0.05, 0.95), y: rng.uniform(-0.05, 0.2) };
    const p2 = { x: rng.uniform(0.1, 0.9), y: rng.uniform(0.5, 1.05) };
    const p1 = { x: rng.uniform(0.1, 0.9), y: rng.uniform(0.2, 0.7) };
    const points: Point[] = [];
    for (let t = 0; t <= 1.0001; t += 1 / 40) {
      const a = (1 - t) * (1 - t),
        b = 2 * t * (1 - t),
        c = t * t;
      points.push({ x: a * p0.x + b * p1.x + c * p2.x, y: a * p0.y + b * p1.y + c * p2.y });
    }
    wires.push({ points, radius: rng.uniform(0.0012, 0.0022), density: rng.uniform(0.15, 0.3) });
  }
  return wires;
}

export function renderWires(anatomy: Anatomy, size: number, out: Float32Array): void {
  if (anatomy.wires.length === 0) return;
  const layer = new Float32Array(size * size);
  for (const wire of anatomy.wires) {
    for (let i = 1; i < wire.points.length; i++) {
      const a = wire.points[i - 1],
        b = wire.points[i];
      strokeSegment(layer, size, a.x, a.y, b.x, b.y, wire.radius, wire.density);
    }
  }
  for (let i = 0; i < out.length; i++) out[i] += layer[i];
}
