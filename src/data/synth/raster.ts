// Small drawing primitives on square float fields. Positions and lengths are in image units (0..1
// across the image) so that a scene drawn at 256 px and at 1024 px has the same structure.
import type { Rng } from '../random.js';

export function smoothstep(edge0: number, edge1: number, x: number): number {
  const t = Math.min(1, Math.max(0, (x - edge0) / (edge1 - edge0)));
  return t * t * (3 - 2 * t);
}

function bsplineWeights(t: number, out: Float64Array): void {
  const t2 = t * t;
  const t3 = t2 * t;
  out[0] = (1 - 3 * t + 3 * t2 - t3) / 6;
  out[1] = (3 * t3 - 6 * t2 + 4) / 6;
  out[2] = (-3 * t3 + 3 * t2 + 3 * t + 1) / 6;
  out[3] = t3 / 6;
}

/**
 * Adds band-limited noise times `amplitude` to `out`: uniform values on a `cells` x `cells` grid
 * spread by a cubic B-spline. The grid is drawn from `rng` whatever `size` is, so the pattern is the
 * same at every resolution. The noise is roughly zero-mean with a standard deviation near 0.3.
 */
export function addSmoothNoise(rng: Rng, cells: number, size: number, out: Float32Array, amplitude: number): void {
  const g = cells + 3;
  const grid = new Float32Array(g * g);
  for (let i = 0; i < grid.length; i++) grid[i] = rng.next() * 2 - 1;
  const weights = new Float64Array(4);
  const index = new Int32Array(size);
  const w = new Float64Array(size * 4);
  for (let p = 0; p < size; p++) {
    const f = ((p + 0.5) / size) * cells;
    const i = Math.min(cells - 1, Math.floor(f));
    bsplineWeights(f - i, weights);
    index[p] = i;
    w.set(weights, p * 4);
  }
  // Along x for every grid row, then along y.
  const rows = new Float32Array(g * size);
  for (let j = 0; j < g; j++) {
    for (let px = 0; px < size; px++) {
      const i = index[px];
      const base = j * g + i;
      rows[j * size + px] =
        w[px * 4] * grid[base] +
        w[px * 4 + 1] * grid[base + 1] +
        w[px * 4 + 2] * grid[base + 2] +
        w[px * 4 + 3] * grid[base + 3];
    }
  }
  for (let py = 0; py < size; py++) {
    const j = index[py];
    const w0 = amplitude * w[py * 4],
      w1 = amplitude * w[py * 4 + 1],
      w2 = amplitude * w[py * 4 + 2],
      w3 = amplitude * w[py * 4 + 3];
    const r0 = j * size,
      r1 = r0 + size,
      r2 = r1 + size,
      r3 = r2 + size;
    const o = py * size;
    for (let px = 0; px < size; px++)
      out[o + px] += w0 * rows[r0 + px] + w1 * rows[r1 + px] + w2 * rows[r2 + px] + w3 * rows[r3 + px];
  }
}

const MIN_STROKE_RADIUS_PX = 0.75;

/**
 * Draws a segment with a Gaussian cross-section (sigma = radius / 2, so the visible width is about
 * 2 * radius) into `field`, keeping the larger value where strokes overlap so that joints of one
 * vessel and crossings of two do not double up.
 */
export function strokeSegment(
  field: Float32Array,
  size: number,
  x0: number,
  y0: number,
  x1: number,
  y1: number,
  radius: number,
  amplitude: number,
): void {
  const ax = x0 * size - 0.5,
    ay = y0 * size - 0.5,
    bx = x1 * size - 0.5,
    by = y1 * size - 0.5;
  const rad = Math.max(MIN_STROKE_RADIUS_PX, radius * size);
  const reach = rad * 1.6;
  const minX = Math.max(0, Math.floor(Math.min(ax, bx) - reach));
  const maxX = Math.min(size - 1, Math.ceil(Math.max(ax, bx) + reach));
  const minY = Math.max(0, Math.floor(Math.min(ay, by) - reach));
  const maxY = Math.min(size - 1, Math.ceil(Math.max(ay, by) + reach));
  const ex = bx - ax,
    ey = by - ay;
  const len2 = ex * ex + ey * ey;
  // A stroke thinner than a pixel would alias into dashes; it is drawn a pixel wide and fainter
  // instead, which keeps its integral (what survives downsampling).
  const amp = radius * size < MIN_STROKE_RADIUS_PX ? (amplitude * radius * size) / MIN_STROKE_RADIUS_PX : amplitude;
  const inv = 1 / (rad * rad);
  for (let py = minY; py <= maxY; py++) {
    for (let px = minX; px <= maxX; px++) {
      let t = len2 > 0 ? ((px - ax) * ex + (py - ay) * ey) / len2 : 0;
      t = t < 0 ? 0 : t > 1 ? 1 : t;
      const dx = px - ax - t * ex,
        dy = py - ay - t * ey;
      const d2 = (dx * dx + dy * dy) * inv;
      if (d2 > 2.56) continue;
      const v = amp * Math.exp(-2 * d2);
      const k = py * size + px;
      if (v > field[k]) field[k] = v;
    }
  }
}

/** Points along the quadratic Bezier curve p0 -> p2 pulled towards p1, `steps` segments. */
export function quadraticCurve(
  p0: { x: number; y: number },
  p1: { x: number; y: number },
  p2: { x: number; y: number },
  steps: number,
): { x: number; y: number }[] {
  const points: { x: number; y: number }[] = [];
  for (let t = 0; t <= 1.0001; t += 1 / steps) {
    const a = (1 - t) * (1 - t),
      b = 2 * t * (1 - t),
      c = t * t;
    points.push({ x: a * p0.x + b * p1.x + c * p2.x, y: a * p0.y + b * p1.y + c * p2.y });
  }
  return points;
}

/** Strokes every segment of a polyline (see strokeSegment: overlaps keep the larger value). */
export function strokePolyline(
  field: Float32Array,
  size: number,
  points: readonly { x: number; y: number }[],
  radius: number,
  amplitude: number,
): void {
  for (let i = 1; i < points.length; i++) {
    const a = points[i - 1],
      b = points[i];
    strokeSegment(field, size, a.x, a.y, b.x, b.y, radius, amplitude);
  }
}
