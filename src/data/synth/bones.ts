// Ribs and clavicles: bands along a curved centre line with brighter cortical edges. Posterior ribs
// run from the spine out and down, anterior ribs (fainter) from the chest wall down towards the
// sternum, clavicles from the sternal notch out to the shoulders.
import type { Rng } from '../random.js';
import type { Anatomy } from './anatomy.js';
import type { ViewPosition } from './metadata.js';
import { smoothstep } from './raster.js';

export interface BoneBand {
  /** -1: image left (patient's right), +1: image right. */
  side: -1 | 1;
  /** Centre line in template units: v = v0 + slope*d + curve*d^2, d = |u - 0.5| in [d0, d1]. */
  v0: number;
  slope: number;
  curve: number;
  d0: number;
  d1: number;
  halfThickness: number;
  density: number;
}

export function drawBones(rng: Rng, view: ViewPosition, apex: number): BoneBand[] {
  const ribs: BoneBand[] = [];
  const spacing = rng.uniform(0.048, 0.056) * (view === 'AP' ? 0.95 : 1);
  const posteriorDensity = rng.uniform(0.05, 0.085);
  for (const side of [-1, 1] as const) {
    for (let k = 0; k < 10; k++) {
      const v0 = apex - 0.02 + k * spacing + rng.normal(0, 0.003);
      ribs.push({
        side,
        v0,
        slope: -0.18 + rng.normal(0, 0.02),
        curve: 1.05 + k * 0.06 + rng.normal(0, 0.05),
        d0: 0.03,
        d1: k < 1 ? 0.2 : k < 2 ? 0.3 : 0.38,
        halfThickness: 0.0105 + k * 0.0005,
        density: posteriorDensity,
      });
    }
    // Anterior ribs run from the chest wall down towards the sternum and fade medially.
    for (let k = 0; k < 6; k++) {
      const v1 = apex + 0.06 + k * spacing * 1.05 + rng.normal(0, 0.004);
      ribs.push({
        side,
        v0: v1 + 0.38 * 0.32,
        slope: -0.32,
        curve: 0,
        d0: 0.16,
        d1: 0.39,
        halfThickness: 0.012,
        density: posteriorDensity * 0.45,
      });
    }
  }
  // Clavicles: from the sternal notch out and slightly up to the shoulder.
  const clavicleV = 0.19 + rng.normal(0, 0.01) - (view === 'AP' ? 0.02 : 0);
  for (const side of [-1, 1] as const) {
    ribs.push({
      side,
      v0: clavicleV + 0.02,
      slope: -0.35 + rng.normal(0, 0.04),
      curve: 0.35,
      d0: 0.045,
      d1: 0.33,
      halfThickness: 0.016,
      density: 0.14,
    });
  }
  return ribs;
}

/** Drawn column by column along each band's centre line. */
export function renderBones(anatomy: Anatomy, size: number, out: Float32Array): void {
  const f = anatomy.frame;
  for (const band of anatomy.bones) {
    const u0 = 0.5 + band.side * band.d0,
      u1 = 0.5 + band.side * band.d1;
    const x0 = 0.5 + f.dx + f.sx * (Math.min(u0, u1) - 0.5);
    const x1 = 0.5 + f.dx + f.sx * (Math.max(u0, u1) - 0.5);
    const px0 = Math.max(0, Math.floor(x0 * size)),
      px1 = Math.min(size - 1, Math.ceil(x1 * size));
    for (let px = px0; px <= px1; px++) {
      const x = (px + 0.5) / size;
      const u = (x - 0.5 - f.dx) / f.sx + 0.5;
      const d = Math.abs(u - 0.5);
      if (d < band.d0 || d > band.d1) continue;
      const vc = band.v0 + band.slope * d + band.curve * d * d;
      const dvdd = band.slope + 2 * band.curve * d;
      // Thickness measured across the band, not down the column.
      const half = band.halfThickness * f.sy * Math.sqrt(1 + ((dvdd * f.sy) / f.sx) ** 2);
      const yc = 0.5 + f.dy + f.sy * (vc - 0.5);
      // Ends fade rather than stop.
      const endFade = smoothstep(band.d0, band.d0 + 0.03, d) * smoothstep(band.d1, band.d1 - 0.03, d);
      const py0 = Math.max(0, Math.floor((yc - half * 1.3) * size)),
        py1 = Math.min(size - 1, Math.ceil((yc + half * 1.3) * size));
      for (let py = py0; py <= py1; py++) {
        const t = Math.abs(((py + 0.5) / size - yc) / half);
        if (t > 1.3) continue;
        const body = smoothstep(1.25, 0.75, t);
        const cortex = Math.exp(-(((t - 0.85) / 0.2) ** 2));
        out[py * size + px] += band.density * endFade * (0.6 * body + 0.35 * cortex);
      }
    }
  }
}
