// The patient: where the body, lungs, heart, ribs, clavicles and diaphragm sit in one synthetic
// chest radiograph, and how their tissue density is drawn. Everything is placed on a template in
// image units (0..1, patient's right on the image's left as in a PA film) and moved by a per-patient
// frame (shift and scale), with small per-patient jitter on every landmark.
import type { Rng } from '../random.js';
import type { Sex, ViewPosition } from './metadata.js';
import { chaikin, PolarShape, type Point } from './polar-shape.js';
import { smoothstep, strokeSegment } from './raster.js';

/** Template -> image: x = 0.5 + dx + sx (u - 0.5), y = 0.5 + dy + sy (v - 0.5). */
export interface Frame {
  dx: number;
  dy: number;
  sx: number;
  sy: number;
}

export interface Rib {
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

export interface Wire {
  points: Point[];
  radius: number;
  density: number;
}

export interface Anatomy {
  view: ViewPosition;
  sex: Sex;
  frame: Frame;
  /** [image-left lung (patient's right), image-right lung]. */
  lungs: [PolarShape, PolarShape];
  hila: [Point, Point];
  /** Top and bottom of each lung in image units, for the vertical gradient of aeration. */
  lungSpans: [{ top: number; bottom: number }, { top: number; bottom: number }];
  /** Height of each diaphragm dome's top in image units. */
  domes: [number, number];
  /** Density removed by a fully aerated lung, before patient-specific modulation. */
  airDensity: number;
  bodyDensity: number;
  chestHalfWidth: number;
  heart: { x: number; y: number; rx: number; ry: number; density: number };
  ribs: Rib[];
  breasts: { radius: number; y: number; offset: number; density: number } | null;
  stomachBubble: { x: number; y: number; rx: number; ry: number } | null;
  wires: Wire[];
}

function toImage(f: Frame, p: Point): Point {
  return { x: 0.5 + f.dx + f.sx * (p.x - 0.5), y: 0.5 + f.dy + f.sy * (p.y - 0.5) };
}

/** The image-left lung (patient's right) on the template, clockwise from the apex. */
function rightLungTemplate(apex: number, base: number, dome: number): Point[] {
  return [
    { x: 0.32, y: apex },
    { x: 0.25, y: apex + 0.02 },
    { x: 0.2, y: apex + 0.07 },
    { x: 0.165, y: apex + 0.15 },
    { x: 0.145, y: 0.4 },
    { x: 0.135, y: 0.5 },
    { x: 0.132, y: base - 0.09 },
    { x: 0.138, y: base - 0.03 },
    { x: 0.15, y: base },
    { x: 0.165, y: base - 0.005 },
    { x: 0.2, y: dome + 0.04 },
    { x: 0.25, y: dome + 0.01 },
    { x: 0.31, y: dome },
    { x: 0.37, y: dome + 0.01 },
    { x: 0.42, y: dome + 0.03 },
    { x: 0.445, y: dome + 0.05 },
    { x: 0.445, y: 0.53 },
    { x: 0.432, y: 0.46 },
    { x: 0.445, y: 0.38 },
    { x: 0.44, y: 0.3 },
    { x: 0.435, y: 0.22 },
    { x: 0.41, y: apex + 0.04 },
    { x: 0.37, y: apex + 0.008 },
  ];
}

/** The image-right lung (patient's left), whose medial border is the aortic knob and the heart. */
function leftLungTemplate(apex: number, base: number, dome: number, heart: number): Point[] {
  const h = (x: number) => 0.5 + (x - 0.5) * heart;
  return [
    { x: 0.68, y: apex },
    { x: 0.75, y: apex + 0.02 },
    { x: 0.8, y: apex + 0.07 },
    { x: 0.835, y: apex + 0.15 },
    { x: 0.855, y: 0.4 },
    { x: 0.865, y: 0.5 },
    { x: 0.868, y: base - 0.09 },
    { x: 0.862, y: base - 0.03 },
    { x: 0.85, y: base },
    { x: 0.835, y: base - 0.005 },
    { x: 0.8, y: dome + 0.035 },
    { x: 0.75, y: dome + 0.005 },
    { x: 0.7, y: dome + 0.005 },
    { x: h(0.67), y: dome + 0.03 },
    { x: h(0.655), y: 0.55 },
    { x: h(0.625), y: 0.48 },
    { x: h(0.59), y: 0.42 },
    { x: h(0.575), y: 0.37 },
    { x: 0.585, y: 0.3 },
    { x: 0.57, y: 0.25 },
    { x: 0.565, y: 0.2 },
    { x: 0.59, y: apex + 0.04 },
    { x: 0.63, y: apex + 0.008 },
  ];
}

function jitter(rng: Rng, points: Point[], std: number): Point[] {
  return points.map((p) => ({ x: p.x + rng.normal(0, std), y: p.y + rng.normal(0, std) }));
}

function lungShape(rng: Rng, frame: Frame, template: Point[], center: Point): PolarShape {
  const outline = chaikin(jitter(rng, template, 0.004), 3).map((p) => toImage(frame, p));
  return PolarShape.fromPolygon(outline, toImage(frame, center));
}

function drawRibs(rng: Rng, view: ViewPosition, apex: number): Rib[] {
  const ribs: Rib[] = [];
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
  return ribs;
}

function drawWires(rng: Rng, view: ViewPosition): Wire[] {
  const count = rng.bool(view === 'AP' ? 0.35 : 0.08) ? 1 + rng.int(3) : 0;
  const wires: Wire[] = [];
  for (let i = 0; i < count; i++) {
    const p0 = { x: rng.uniform(0.05, 0.95), y: rng.uniform(-0.05, 0.2) };
    const p2 = { x: rng.uniform(0.1, 0.9), y: rng.uniform(0.5, 1.05) };
    const p1 = { x: rng.uniform(0.1, 0.9), y: rng.uniform(0.2, 0.7) };
    const points: Point[] = [];
    for (let t = 0; t <= 1.0001; t += 1 / 40) {
      const a = (1 - t) * (1 - t), b = 2 * t * (1 - t), c = t * t;
      points.push({ x: a * p0.x + b * p1.x + c * p2.x, y: a * p0.y + b * p1.y + c * p2.y });
    }
    wires.push({ points, radius: rng.uniform(0.0012, 0.0022), density: rng.uniform(0.15, 0.3) });
  }
  return wires;
}

export function drawAnatomy(rng: Rng, view: ViewPosition, sex: Sex): Anatomy {
  const ap = view === 'AP';
  const frame: Frame = {
    dx: rng.normal(0, 0.015),
    dy: rng.normal(0, 0.015) + (ap ? -0.01 : 0),
    sx: rng.uniform(0.9, 1.04) * (sex === 'F' ? 0.97 : 1),
    sy: rng.uniform(0.9, 1.04),
  };
  const apex = rng.uniform(0.13, 0.17);
  // AP films are usually taken supine or in bed: smaller lung volumes, bigger heart shadow.
  const base = rng.uniform(0.69, 0.74) - (ap ? 0.05 : 0);
  const dome = base - rng.uniform(0.08, 0.12);
  const heart = rng.uniform(0.95, 1.1) * (ap ? 1.12 : 1);
  const leftDrop = rng.uniform(0.015, 0.035);
  const lungs: [PolarShape, PolarShape] = [
    lungShape(rng, frame, rightLungTemplate(apex, base, dome), { x: 0.3, y: (apex + dome) / 2 + 0.04 }),
    lungShape(rng, frame, leftLungTemplate(apex, base + leftDrop * 0.5, dome + leftDrop, heart), { x: 0.72, y: (apex + dome) / 2 + 0.04 }),
  ];
  const hila: [Point, Point] = [toImage(frame, { x: 0.4, y: 0.42 + rng.normal(0, 0.01) }), toImage(frame, { x: 0.615, y: 0.41 + rng.normal(0, 0.01) })];
  const spanOf = (shape: PolarShape) => {
    const b = shape.bounds();
    return { top: b.y0, bottom: b.y1 };
  };
  const heartCenter = toImage(frame, { x: 0.53 + (heart - 1) * 0.1, y: dome - 0.05 });
  const ribs = drawRibs(rng, view, apex);
  const breastRoll = rng.next();
  const breasts =
    sex === 'F' || breastRoll < 0.1
      ? { radius: rng.uniform(0.12, 0.17) * frame.sx, y: toImage(frame, { x: 0.5, y: base - 0.13 }).y, offset: rng.uniform(0.2, 0.26) * frame.sx, density: sex === 'F' ? rng.uniform(0.04, 0.09) : 0.03 }
      : null;
  const bubbleRoll = rng.next();
  const stomachBubble =
    bubbleRoll < 0.6
      ? { ...toImage(frame, { x: rng.uniform(0.6, 0.7), y: dome + leftDrop + rng.uniform(0.05, 0.08) }), rx: rng.uniform(0.03, 0.06), ry: rng.uniform(0.02, 0.035) }
      : null;
  return {
    view,
    sex,
    frame,
    lungs,
    hila,
    lungSpans: [spanOf(lungs[0]), spanOf(lungs[1])],
    domes: [toImage(frame, { x: 0.3, y: dome }).y, toImage(frame, { x: 0.7, y: dome + leftDrop }).y],
    airDensity: rng.uniform(0.3, 0.4),
    bodyDensity: rng.uniform(0.58, 0.68),
    chestHalfWidth: rng.uniform(0.45, 0.5),
    heart: { x: heartCenter.x, y: heartCenter.y, rx: 0.13 * heart * frame.sx, ry: 0.1 * frame.sy, density: rng.uniform(0.03, 0.06) },
    ribs,
    breasts,
    stomachBubble,
    wires: drawWires(rng, view),
  };
}

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
    const abdomen = [0.08 * smoothstep(anatomy.domes[0] - 0.01, anatomy.domes[0] + 0.07, y), 0.08 * smoothstep(anatomy.domes[1] - 0.01, anatomy.domes[1] + 0.07, y)];
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
      if (ax < mediastinumHalfWidth + 0.02) d += mediastinum * smoothstep(mediastinumHalfWidth + 0.02, mediastinumHalfWidth - 0.01, ax);
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
    const px0 = Math.max(0, Math.floor(x0 * size)), px1 = Math.min(size - 1, Math.ceil(x1 * size));
    const py0 = Math.max(0, Math.floor(y0 * size)), py1 = Math.min(size - 1, Math.ceil(y1 * size));
    for (let py = py0; py <= py1; py++) for (let px = px0; px <= px1; px++) draw((px + 0.5) / size, (py + 0.5) / size, py * size + px);
  };
  const heart = anatomy.heart;
  box(heart.x - heart.rx * 1.2, heart.x + heart.rx * 1.2, heart.y - heart.ry * 1.2, heart.y + heart.ry * 1.2, (x, y, k) => {
    const hx = (x - heart.x) / heart.rx, hy = (y - heart.y) / heart.ry;
    const h2 = hx * hx + hy * hy;
    if (h2 < 1.3) out[k] += heart.density * smoothstep(1.3, 0.8, h2);
  });
  const breasts = anatomy.breasts;
  if (breasts) {
    for (const side of [-1, 1]) {
      const bx0 = cx + side * breasts.offset;
      box(bx0 - breasts.radius, bx0 + breasts.radius, breasts.y - breasts.radius, breasts.y + breasts.radius, (x, y, k) => {
        const by = y - breasts.y;
        const r = Math.hypot(x - bx0, by) / breasts.radius;
        if (r < 1) out[k] += breasts.density * Math.sqrt(1 - r * r) * smoothstep(-0.6 * breasts.radius, 0.1 * breasts.radius, by);
      });
    }
  }
  const bubble = anatomy.stomachBubble;
  if (bubble) {
    box(bubble.x - bubble.rx * 1.1, bubble.x + bubble.rx * 1.1, bubble.y - bubble.ry * 1.1, bubble.y + bubble.ry * 1.1, (x, y, k) => {
      const bx = (x - bubble.x) / bubble.rx, by = (y - bubble.y) / bubble.ry;
      const b2 = bx * bx + by * by;
      if (b2 < 1.2) out[k] -= 0.1 * smoothstep(1.2, 0.7, b2) * smoothstep(-1, -0.3, by);
    });
  }
}

/** Ribs and clavicles: bands with brighter cortical edges, drawn column by column along their centre line. */
export function renderBones(anatomy: Anatomy, rng: Rng, size: number, out: Float32Array): void {
  const f = anatomy.frame;
  const bands: Rib[] = anatomy.ribs.slice();
  // Clavicles: from the sternal notch out and slightly up to the shoulder.
  const clavicleV = 0.19 + rng.normal(0, 0.01) - (anatomy.view === 'AP' ? 0.02 : 0);
  for (const side of [-1, 1] as const) {
    bands.push({ side, v0: clavicleV + 0.02, slope: -0.35 + rng.normal(0, 0.04), curve: 0.35, d0: 0.045, d1: 0.33, halfThickness: 0.016, density: 0.14 });
  }
  for (const band of bands) {
    const u0 = 0.5 + band.side * band.d0, u1 = 0.5 + band.side * band.d1;
    const x0 = 0.5 + f.dx + f.sx * (Math.min(u0, u1) - 0.5);
    const x1 = 0.5 + f.dx + f.sx * (Math.max(u0, u1) - 0.5);
    const px0 = Math.max(0, Math.floor(x0 * size)), px1 = Math.min(size - 1, Math.ceil(x1 * size));
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
      const py0 = Math.max(0, Math.floor((yc - half * 1.3) * size)), py1 = Math.min(size - 1, Math.ceil((yc + half * 1.3) * size));
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

export function renderWires(anatomy: Anatomy, size: number, out: Float32Array): void {
  if (anatomy.wires.length === 0) return;
  const layer = new Float32Array(size * size);
  for (const wire of anatomy.wires) {
    for (let i = 1; i < wire.points.length; i++) {
      const a = wire.points[i - 1], b = wire.points[i];
      strokeSegment(layer, size, a.x, a.y, b.x, b.y, wire.radius, wire.density);
    }
  }
  for (let i = 0; i < out.length; i++) out[i] += layer[i];
}
