// ECG monitoring: electrodes on the chest wall (a bright metal snap in a faint pad) with their lead
// wires curving off the film. Common on ICU films with and without a pneumothorax: bright round
// spots and thin lines a model must learn to ignore.
import type { Rng } from '../random.js';
import type { Anatomy } from './anatomy.js';
import type { Point } from './polar-shape.js';
import { quadraticCurve, strokePolyline } from './raster.js';

export interface EcgElectrode {
  at: Point;
  /** Radius of the snap, image units. */
  radius: number;
  density: number;
  lead: Point[];
  leadRadius: number;
  leadDensity: number;
}

export function drawEcgLeads(rng: Rng, anatomy: Anatomy): EcgElectrode[] {
  const count = 2 + rng.int(3);
  const f = anatomy.frame;
  return Array.from({ length: count }, () => {
    const at = {
      x: 0.5 + f.dx + f.sx * rng.uniform(-0.36, 0.36),
      y: 0.5 + f.dy + f.sy * rng.uniform(-0.32, 0.25),
    };
    // Leads leave towards the nearer side edge or the top of the film.
    const end = rng.bool(0.4)
      ? { x: at.x + rng.uniform(-0.2, 0.2), y: -0.05 }
      : { x: at.x < 0.5 ? -0.05 : 1.05, y: at.y + rng.uniform(-0.3, 0.3) };
    const sag = { x: (at.x + end.x) / 2 + rng.normal(0, 0.08), y: (at.y + end.y) / 2 + rng.uniform(0, 0.15) };
    return {
      at,
      radius: rng.uniform(0.006, 0.01),
      density: rng.uniform(0.35, 0.55),
      lead: quadraticCurve(at, sag, end, 30),
      leadRadius: rng.uniform(0.0012, 0.002),
      leadDensity: rng.uniform(0.15, 0.3),
    };
  });
}

export function renderEcgLeads(electrodes: readonly EcgElectrode[], size: number, out: Float32Array): void {
  const layer = new Float32Array(size * size);
  for (const e of electrodes) {
    strokePolyline(layer, size, e.lead, e.leadRadius, e.leadDensity);
    // The snap: a disc with a soft edge, brighter than the wire.
    const cx = e.at.x * size - 0.5,
      cy = e.at.y * size - 0.5,
      r = Math.max(1.5, e.radius * size);
    for (let py = Math.max(0, Math.floor(cy - r - 2)); py <= Math.min(size - 1, Math.ceil(cy + r + 2)); py++)
      for (let px = Math.max(0, Math.floor(cx - r - 2)); px <= Math.min(size - 1, Math.ceil(cx + r + 2)); px++) {
        const d = Math.hypot(px - cx, py - cy);
        const v = e.density * Math.min(1, Math.max(0, r + 0.5 - d));
        const k = py * size + px;
        if (v > layer[k]) layer[k] = v;
      }
  }
  for (let i = 0; i < out.length; i++) out[i] += layer[i];
}
