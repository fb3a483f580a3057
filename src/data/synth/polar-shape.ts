// A closed outline held as a radius for every direction around a centre point. Lungs are stored
// this way because it makes three things cheap and exactly consistent with each other: testing a
// pixel (r < R(theta)), drawing a pneumothorax as a band between the outline and a retracted copy of
// it, and integrating the area of that band analytically when choosing its depth.

export interface Point {
  x: number;
  y: number;
}

/** Chaikin corner cutting of a closed polygon: rounds it while keeping it inside the hull. */
export function chaikin(points: readonly Point[], iterations: number): Point[] {
  let current = points.slice();
  for (let it = 0; it < iterations; it++) {
    const next: Point[] = [];
    for (let i = 0; i < current.length; i++) {
      const a = current[i];
      const b = current[(i + 1) % current.length];
      next.push({ x: 0.75 * a.x + 0.25 * b.x, y: 0.75 * a.y + 0.25 * b.y });
      next.push({ x: 0.25 * a.x + 0.75 * b.x, y: 0.25 * a.y + 0.75 * b.y });
    }
    current = next;
  }
  return current;
}

const TWO_PI = 2 * Math.PI;

export class PolarShape {
  private constructor(
    readonly cx: number,
    readonly cy: number,
    /** radii[k] is the outline's distance from the centre in direction 2*pi*k/radii.length (atan2 convention, y down). */
    readonly radii: Float64Array,
  ) {}

  /**
   * Casts a ray from the centre in each of `samples` directions and keeps the nearest crossing of
   * the polygon, so a shape that is not quite star-shaped from the centre loses only what hides
   * behind a fold.
   */
  static fromPolygon(polygon: readonly Point[], center: Point, samples = 1440): PolarShape {
    const radii = new Float64Array(samples);
    for (let k = 0; k < samples; k++) {
      const theta = (TWO_PI * k) / samples;
      const dx = Math.cos(theta);
      const dy = Math.sin(theta);
      let best = Infinity;
      for (let i = 0; i < polygon.length; i++) {
        const a = polygon[i];
        const b = polygon[(i + 1) % polygon.length];
        // Solve center + t*d = a + s*(b - a) for t > 0, s in [0, 1].
        const ex = b.x - a.x;
        const ey = b.y - a.y;
        const denom = dx * ey - dy * ex;
        if (Math.abs(denom) < 1e-12) continue;
        const ax = a.x - center.x;
        const ay = a.y - center.y;
        const t = (ax * ey - ay * ex) / denom;
        const s = (ax * dy - ay * dx) / denom;
        if (t > 0 && s >= 0 && s <= 1 && t < best) best = t;
      }
      radii[k] = Number.isFinite(best) ? best : 0;
    }
    return new PolarShape(center.x, center.y, radii);
  }

  /** The outline's radius in direction theta (radians, any range), linearly interpolated. */
  radiusAt(theta: number): number {
    const n = this.radii.length;
    let f = (theta / TWO_PI) * n;
    f -= Math.floor(f / n) * n;
    const k = Math.floor(f);
    const w = f - k;
    return this.radii[k % n] * (1 - w) + this.radii[(k + 1) % n] * w;
  }

  /** How far inside the outline a point is, as 1 - r/R: 1 at the centre, 0 on the outline, negative outside. */
  depthOf(x: number, y: number): number {
    const dx = x - this.cx;
    const dy = y - this.cy;
    const r = Math.sqrt(dx * dx + dy * dy);
    return 1 - r / this.radiusAt(Math.atan2(dy, dx));
  }

  /** Area enclosed, integral of R^2/2 over the angle. */
  area(): number {
    let sum = 0;
    for (let k = 0; k < this.radii.length; k++) sum += this.radii[k] * this.radii[k];
    return (sum / 2) * (TWO_PI / this.radii.length);
  }

  /** Bounding box of the outline. */
  bounds(): { x0: number; y0: number; x1: number; y1: number } {
    let x0 = Infinity,
      y0 = Infinity,
      x1 = -Infinity,
      y1 = -Infinity;
    const n = this.radii.length;
    for (let k = 0; k < n; k++) {
      const theta = (TWO_PI * k) / n;
      const x = this.cx + this.radii[k] * Math.cos(theta);
      const y = this.cy + this.radii[k] * Math.sin(theta);
      x0 = Math.min(x0, x);
      x1 = Math.max(x1, x);
      y0 = Math.min(y0, y);
      y1 = Math.max(y1, y);
    }
    return { x0, y0, x1, y1 };
  }
}
