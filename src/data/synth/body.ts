// Soft tissue of the chest: trunk, neck and shoulders, mediastinum, spine, trachea, heart, breasts,
// the abdomen under the diaphragm and the gastric bubble.
import type { Anatomy } from './anatomy.js';
import { smoothstep } from './raster.js';

/**
 * Soft tissue, mediastinum, spine, trachea, heart, breasts and the gastric bubble: everything but
 * the lungs' air, their texture and the bones laid over them.
 */
export function renderBody(anatomy: Anatomy, size: number, out: Float32Array): void {
  const f = anatomy.frame;
  const neck = 0.085 * f.sx;
  const chest = anatomy.chestHalfWidth * f.sx;
  const cx = 0.5 + f.dx;
  const body = anatomy.bodyDensity;
  const edge = 0.01;
  // Everything that depends on the column alone, computed once.
  const axOf = new Float32Array(size);
  const shoulderTopOf = new Float32Array(size);
  const neckOf = new Float32Array(size);
  const spineOf = new Float32Array(size);
  const tracheaOf = new Float32Array(size);
  for (let px = 0; px < size; px++) {
    const ax = Math.abs((px + 0.5) / size - cx);
    const u = ax / f.sx;
    axOf[px] = ax;
    // The shoulders' tops slope down from the neck to the image edge.
    shoulderTopOf[px] = u < 0.085 ? -1 : 0.035 + 1.5 * (u - 0.08) ** 2 + 0.02 * smoothstep(0.08, 0.16, u);
    neckOf[px] = smoothstep(neck + edge, neck - edge, ax);
    spineOf[px] = smoothstep(0.038 * f.sx, 0.028 * f.sx, ax);
    tracheaOf[px] = smoothstep(0.02 * f.sx, 0.012 * f.sx, ax);
  }
  const left = Math.max(0, Math.floor(cx * size));
  for (let py = 0; py < size; py++) {
    const y = (py + 0.5) / size;
    const v = (y - 0.5 - f.dy) / f.sy + 0.5;
    const trunkHalfWidth = chest + 0.02 * smoothstep(0.6, 1, v);
    // Vertebral bodies with fainter disc spaces every ~4.5% of the height; the spine mostly hides
    // behind the mediastinum as in a well-exposed film.
    const vertebra = 0.045 + 0.008 * Math.cos((2 * Math.PI * v) / 0.045);
    const trachea = v < 0.31 ? 0.08 * smoothstep(0.31, 0.25, v) * smoothstep(0.0, 0.08, v) : 0;
    // Mediastinum: great vessels above, heart below; the lungs' medial borders cut it out exactly.
    const mediastinumHalfWidth = f.sx * (0.075 + 0.05 * smoothstep(0.25, 0.5, v));
    const mediastinum = 0.06 * smoothstep(0.08, 0.2, v);
    // Liver and spleen under the domes.
    const abdomen = [
      0.08 * smoothstep(anatomy.domes[0] - 0.01, anatomy.domes[0] + 0.07, y),
      0.08 * smoothstep(anatomy.domes[1] - 0.01, anatomy.domes[1] + 0.07, y),
    ];
    const neckRow = v < 0.2 ? body * 0.75 : 0;
    const row = py * size;
    for (let px = 0; px < size; px++) {
      const ax = axOf[px];
      const top = shoulderTopOf[px];
      const shoulder = top < 0 ? 1 : v <= top - edge ? 0 : v >= top + edge ? 1 : smoothstep(top - edge, top + edge, v);
      const t = ax >= trunkHalfWidth ? 1 : ax / trunkHalfWidth;
      const trunk = ax <= trunkHalfWidth - edge ? 1 : smoothstep(trunkHalfWidth + edge, trunkHalfWidth - edge, ax);
      const thickness = Math.sqrt(1 - t * t) * 0.75 + 0.25;
      let d = body * trunk * thickness * shoulder;
      if (neckRow > 0) d = Math.max(d, neckRow * neckOf[px]);
      d += trunk * abdomen[px < left ? 0 : 1];
      if (ax < mediastinumHalfWidth + 0.02)
        d += mediastinum * smoothstep(mediastinumHalfWidth + 0.02, mediastinumHalfWidth - 0.01, ax);
      d += vertebra * spineOf[px];
      if (trachea > 0) d -= trachea * tracheaOf[px];
      out[row + px] += d;
    }
  }
  renderHeartAndSoftTissue(anatomy, size, out);
}

/** Heart, breasts and the gastric bubble, each drawn only over its own bounding box. */
function renderHeartAndSoftTissue(anatomy: Anatomy, size: number, out: Float32Array): void {
  const cx = 0.5 + anatomy.frame.dx;
  const box = (x0: number, x1: number, y0: number, y1: number, draw: (x: number, y: number, k: number) => void) => {
    const px0 = Math.max(0, Math.floor(x0 * size)),
      px1 = Math.min(size - 1, Math.ceil(x1 * size));
    const py0 = Math.max(0, Math.floor(y0 * size)),
      py1 = Math.min(size - 1, Math.ceil(y1 * size));
    for (let py = py0; py <= py1; py++)
      for (let px = px0; px <= px1; px++) draw((px + 0.5) / size, (py + 0.5) / size, py * size + px);
  };
  // The box of an ellipse centred at (x, y), its half-axes grown by `margin` for a soft edge.
  const ellipseBox = (
    e: { x: number; y: number; rx: number; ry: number },
    margin: number,
    draw: (x: number, y: number, k: number) => void,
  ) => box(e.x - e.rx * margin, e.x + e.rx * margin, e.y - e.ry * margin, e.y + e.ry * margin, draw);
  const heart = anatomy.heart;
  ellipseBox(heart, 1.2, (x, y, k) => {
    const hx = (x - heart.x) / heart.rx,
      hy = (y - heart.y) / heart.ry;
    const h2 = hx * hx + hy * hy;
    if (h2 < 1.3) out[k] += heart.density * smoothstep(1.3, 0.8, h2);
  });
  const breasts = anatomy.breasts;
  if (breasts) {
    for (const side of [-1, 1]) {
      const bx0 = cx + side * breasts.offset;
      box(
        bx0 - breasts.radius,
        bx0 + breasts.radius,
        breasts.y - breasts.radius,
        breasts.y + breasts.radius,
        (x, y, k) => {
          const by = y - breasts.y;
          const r = Math.hypot(x - bx0, by) / breasts.radius;
          if (r < 1)
            out[k] +=
              breasts.density * Math.sqrt(1 - r * r) * smoothstep(-0.6 * breasts.radius, 0.1 * breasts.radius, by);
        },
      );
    }
  }
  const bubble = anatomy.stomachBubble;
  if (bubble) {
    ellipseBox(bubble, 1.1, (x, y, k) => {
      const bx = (x - bubble.x) / bubble.rx,
        by = (y - bubble.y) / bubble.ry;
      const b2 = bx * bx + by * by;
      if (b2 < 1.2) out[k] -= 0.1 * smoothstep(1.2, 0.7, b2) * smoothstep(-1, -0.3, by);
    });
  }
}
