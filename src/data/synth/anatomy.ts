// The patient: where the body, lungs, heart, ribs, clavicles and diaphragm sit in one synthetic
// chest radiograph (body.ts, bones.ts and devices.ts draw them). Everything is placed on a template in
// image units (0..1, patient's right on the image's left as in a PA film) and moved by a per-patient
// frame (shift and scale), with small per-patient jitter on every landmark.
import type { Rng } from '../random.js';
import type { Sex, ViewPosition } from './metadata.js';
import { chaikin, PolarShape, type Point } from './polar-shape.js';
import { drawBones, type BoneBand } from './bones.js';
import { drawWires, type Wire } from './devices.js';

/** Template -> image: x = 0.5 + dx + sx (u - 0.5), y = 0.5 + dy + sy (v - 0.5). */
export interface Frame {
  dx: number;
  dy: number;
  sx: number;
  sy: number;
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
  /** Ribs and clavicles. */
  bones: BoneBand[];
  breasts: { radius: number; y: number; offset: number; density: number } | null;
  stomachBubble: { x: number; y: number; rx: number; ry: number } | null;
  wires: Wire[];
}

export function toImage(f: Frame, p: Point): Point {
  return { x: 0.5 + f.dx + f.sx * (p.x - 0.5), y: 0.5 + f.dy + f.sy * (p.y - 0.5) };
}

/**
 * The image-left lung's lateral wall on the template, from the apex down to the costophrenic angle;
 * the image-right lung's is its mirror image.
 */
function lateralWall(apex: number, base: number): Point[] {
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
  ];
}

/** The image-left lung (patient's right) on the template, clockwise from the apex. */
function rightLungTemplate(apex: number, base: number, dome: number): Point[] {
  return [
    ...lateralWall(apex, base),
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
    ...lateralWall(apex, base).map((p) => ({ x: 1 - p.x, y: p.y })),
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
    lungShape(rng, frame, leftLungTemplate(apex, base + leftDrop * 0.5, dome + leftDrop, heart), {
      x: 0.72,
      y: (apex + dome) / 2 + 0.04,
    }),
  ];
  const hila: [Point, Point] = [
    toImage(frame, { x: 0.4, y: 0.42 + rng.normal(0, 0.01) }),
    toImage(frame, { x: 0.615, y: 0.41 + rng.normal(0, 0.01) }),
  ];
  const spanOf = (shape: PolarShape) => {
    const b = shape.bounds();
    return { top: b.y0, bottom: b.y1 };
  };
  const heartCenter = toImage(frame, { x: 0.53 + (heart - 1) * 0.1, y: dome - 0.05 });
  const bones = drawBones(rng, view, apex);
  const breastRoll = rng.next();
  const breasts =
    sex === 'F' || breastRoll < 0.1
      ? {
          radius: rng.uniform(0.12, 0.17) * frame.sx,
          y: toImage(frame, { x: 0.5, y: base - 0.13 }).y,
          offset: rng.uniform(0.2, 0.26) * frame.sx,
          density: sex === 'F' ? rng.uniform(0.04, 0.09) : 0.03,
        }
      : null;
  const bubbleRoll = rng.next();
  const stomachBubble =
    bubbleRoll < 0.6
      ? {
          ...toImage(frame, { x: rng.uniform(0.6, 0.7), y: dome + leftDrop + rng.uniform(0.05, 0.08) }),
          rx: rng.uniform(0.03, 0.06),
          ry: rng.uniform(0.02, 0.035),
        }
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
    heart: {
      x: heartCenter.x,
      y: heartCenter.y,
      rx: 0.13 * heart * frame.sx,
      ry: 0.1 * frame.sy,
      density: rng.uniform(0.03, 0.06),
    },
    bones,
    breasts,
    stomachBubble,
    wires: drawWires(rng, view),
  };
}
