// A skin fold: on supine and bedside films a fold of skin over the back projects across a lung as a
// long, gently curved edge roughly parallel to the chest wall. Its sharp edge mimics the pleural line
// of a pneumothorax, but lung markings continue beyond it and it often runs past the lung's outline.
// Drawn as a density that steps up sharply at the edge and fades away medially.
import type { Rng } from '../random.js';
import type { Anatomy } from './anatomy.js';

export interface SkinFold {
  lung: 0 | 1;
  /** The edge: x = x0 + slope (y - y0) + bow (y - y0)^2 for y in [top, bottom], image units. */
  x0: number;
  y0: number;
  slope: number;
  bow: number;
  top: number;
  bottom: number;
  /** Width of the fade on the medial side, image units, and the step's density. */
  width: number;
  density: number;
}

export function drawSkinFold(rng: Rng, anatomy: Anatomy, lung: 0 | 1): SkinFold {
  const b = anatomy.lungs[lung].bounds();
  const medial = lung === 0 ? 1 : -1;
  const wallX = lung === 0 ? b.x0 : b.x1;
  const height = b.y1 - b.y0;
  const top = b.y0 + height * rng.uniform(0.05, 0.3);
  return {
    lung,
    x0: wallX + medial * (b.x1 - b.x0) * rng.uniform(0.08, 0.3),
    y0: top,
    slope: medial * rng.uniform(-0.1, 0.25),
    bow: rng.normal(0, 0.4),
    top,
    bottom: Math.min(1, top + height * rng.uniform(0.45, 0.9)),
    width: rng.uniform(0.02, 0.05),
    density: rng.uniform(0.03, 0.06),
  };
}

/** The edge's x at height y. */
export function skinFoldX(fold: SkinFold, y: number): number {
  const t = y - fold.y0;
  return fold.x0 + fold.slope * t + fold.bow * t * t;
}

export function renderSkinFold(fold: SkinFold, size: number, out: Float32Array): void {
  const medial = fold.lung === 0 ? 1 : -1;
  const taper = 0.04;
  for (let py = Math.max(0, Math.floor(fold.top * size)); py < Math.min(size, Math.ceil(fold.bottom * size)); py++) {
    const y = (py + 0.5) / size;
    // Fades in and out at both ends instead of stopping square.
    const ends = Math.min(1, (y - fold.top) / taper, (fold.bottom - y) / taper);
    if (ends <= 0) continue;
    const edge = skinFoldX(fold, y);
    for (let px = 0; px < size; px++) {
      // Distance into the fold from its edge, in image units; antialiased over one pixel at the edge.
      const s = medial * ((px + 0.5) / size - edge);
      if (s < -1 / size || s > fold.width) continue;
      const step = Math.min(1, s * size + 1);
      out[py * size + px] += fold.density * ends * Math.max(0, step) * (1 - Math.max(0, s) / fold.width);
    }
  }
}
