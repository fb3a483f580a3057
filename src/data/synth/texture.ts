// Lung texture: branching vessel trees that start thick at each hilum and thin out towards the
// periphery, plus fine mottling of the parenchyma. Both are what a pneumothorax lacks, so they are
// sized to survive a 1024 -> 256 (even 128) downsampling: the thinnest vessels are about 3 px wide
// at 1024, the main ones 10-16 px, and the mottling has periods of about 14 and 25 px.
import type { Rng } from '../random.js';
import type { Anatomy } from './anatomy.js';
import type { PolarShape } from './polar-shape.js';
import { addSmoothNoise, strokeSegment } from './raster.js';

const MIN_RADIUS = 0.0016;

interface Branch {
  x: number;
  y: number;
  angle: number;
  radius: number;
}

function growTree(rng: Rng, lung: PolarShape, start: Branch, size: number, out: Float32Array, amplitude: number): void {
  const stack: Branch[] = [start];
  let budget = 4000;
  while (stack.length > 0 && budget-- > 0) {
    const b = stack.pop() as Branch;
    let { x, y, angle } = b;
    const steps = 3 + rng.int(3);
    let alive = true;
    for (let s = 0; s < steps; s++) {
      const length = 0.007 + b.radius * 1.4;
      angle += rng.normal(0, 0.2);
      const nx = x + Math.cos(angle) * length,
        ny = y + Math.sin(angle) * length;
      const depth = lung.depthOf(nx, ny);
      if (depth < 0.015) {
        alive = false;
        break;
      }
      // Vessels well inside the lung read denser: they are longer in the beam's path.
      strokeSegment(out, size, x, y, nx, ny, b.radius, amplitude * Math.pow(b.radius / 0.006, 0.55));
      x = nx;
      y = ny;
    }
    if (!alive) continue;
    const childRadius = b.radius * rng.uniform(0.72, 0.82);
    if (childRadius < MIN_RADIUS) continue;
    const spread = rng.uniform(0.3, 0.65);
    const skew = rng.normal(0, 0.12);
    stack.push({ x, y, angle: angle - spread + skew, radius: childRadius });
    stack.push({ x, y, angle: angle + spread + skew, radius: childRadius * rng.uniform(0.85, 1) });
  }
}

/**
 * Vessel trees and mottling for both lungs, not yet masked to the lungs (the caller multiplies by
 * the lung field and removes it inside a pneumothorax).
 */
export function renderLungTexture(rng: Rng, anatomy: Anatomy, size: number): Float32Array {
  const vessels = new Float32Array(size * size);
  const amplitude = rng.uniform(0.1, 0.14);
  anatomy.lungs.forEach((lung, side) => {
    const hilum = anatomy.hila[side];
    const outward = side === 0 ? Math.PI : 0;
    const trunks = 6 + rng.int(3);
    for (let t = 0; t < trunks; t++) {
      // Spread the trunks from straight up, through lateral, to straight down.
      const fan = -Math.PI / 2 + (Math.PI * (t + rng.uniform(0.2, 0.8))) / trunks;
      const angle = side === 0 ? outward - fan : outward + fan;
      growTree(
        rng,
        lung,
        { x: hilum.x, y: hilum.y, angle, radius: rng.uniform(0.005, 0.008) },
        size,
        vessels,
        amplitude,
      );
    }
  });
  const mottleAmplitude = rng.uniform(0.1, 0.13);
  addSmoothNoise(rng, 40, size, vessels, 0.6 * mottleAmplitude);
  addSmoothNoise(rng, 72, size, vessels, mottleAmplitude);
  return vessels;
}
