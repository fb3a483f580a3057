// Devices seen on many chest films, ICU (AP) ones above all: ECG leads and lines, thin bright curves
// that cross the lungs. They are there to be ignored: a model must not take any thin bright line
// for a pleural line.
import type { Rng } from '../random.js';
import type { Anatomy } from './anatomy.js';
import type { ViewPosition } from './metadata.js';
import type { Point } from './polar-shape.js';
import { quadraticCurve, strokePolyline } from './raster.js';

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
    const points = quadraticCurve(p0, p1, p2, 40);
    wires.push({ points, radius: rng.uniform(0.0012, 0.0022), density: rng.uniform(0.15, 0.3) });
  }
  return wires;
}

export function renderWires(anatomy: Anatomy, size: number, out: Float32Array): void {
  if (anatomy.wires.length === 0) return;
  const layer = new Float32Array(size * size);
  for (const wire of anatomy.wires) strokePolyline(layer, size, wire.points, wire.radius, wire.density);
  for (let i = 0; i < out.length; i++) out[i] += layer[i];
}
