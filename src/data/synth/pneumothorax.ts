// A pneumothorax: air between the chest wall and a lung that has pulled away from it. Drawn as a
// crescent along the lung's apical and lateral edge: between the lung outline R(theta) and the
// retracted outline R(theta) * (1 - depth(theta)), where depth is largest mid-arc and tapers to zero
// at both ends. Inside it there is no lung texture; along its inner border runs the visceral pleural
// line. The mask is exactly the crescent, so image and label cannot disagree.
import type { Rng } from '../random.js';
import type { Anatomy } from './anatomy.js';
import type { PolarShape } from './polar-shape.js';
import type { AreaDistribution } from './options.js';
import { siimAreaQuantile } from './siim-reference.js';

export interface PneumothoraxPart {
  /** 0: the image-left lung (patient's right), 1: the image-right lung. */
  lung: 0 | 1;
  /** Direction of the deepest point, in the lung's polar frame (atan2 with y down). */
  center: number;
  /** Angular half-width of the arc, radians. */
  halfWidth: number;
  /** Fraction of the lung radius lost at the deepest point. */
  depth: number;
  /** Taper exponent: depth(theta) = depth * (1 - |t|^flatness)^taper, t = (theta - center) / halfWidth. */
  taper: number;
  /** 2 gives a lens, 4 a band with parallel borders and rounded ends like most real crescents. */
  flatness: number;
}

export interface Pneumothorax {
  parts: PneumothoraxPart[];
  /** Width of the visceral pleural line, image units. */
  lineWidth: number;
  /** Density of the pleural line. */
  lineDensity: number;
  /** Extra darkening inside the crescent (air replacing aerated lung), density units. */
  extraAir: number;
}

export interface PneumothoraxSizing {
  areaDistribution: AreaDistribution;
  minAreaFraction: number;
  maxAreaFraction: number;
  /** Image side in pixels: no part is drawn smaller than a few pixels, or it would rasterise to nothing. */
  size: number;
}

/** The smallest part, in pixels of the rendered image. */
const MIN_PART_PIXELS = 24;
/** The areas the arc length follows under the SIIM distribution: an apical cap up to a wide crescent. */
const SMALL_AREA = 0.0005;
const LARGE_AREA = 0.08;

/** The total area of one image's pneumothorax, image fractions, drawn with one value of `rng`. */
export function drawArea(rng: Rng, sizing: PneumothoraxSizing, parts: number): number {
  const floor = Math.max(sizing.minAreaFraction, (parts * MIN_PART_PIXELS) / (sizing.size * sizing.size));
  if (sizing.areaDistribution === 'siim')
    return Math.min(sizing.maxAreaFraction, Math.max(floor, siimAreaQuantile(rng.next())));
  return Math.max(floor, Math.exp(rng.uniform(Math.log(sizing.minAreaFraction), Math.log(sizing.maxAreaFraction))));
}

const MAX_DEPTH = 0.75;
/** Parts of a multi-part pneumothorax stay shallow, so each stays a crescent rather than a wedge. */
const MAX_PART_DEPTH = 0.45;

/** Retracted fraction of the radius at theta; 0 outside the arc. */
export function partDepthAt(part: PneumothoraxPart, theta: number): number {
  let d = theta - part.center;
  d -= Math.round(d / (2 * Math.PI)) * 2 * Math.PI;
  const t = d / part.halfWidth;
  if (t <= -1 || t >= 1) return 0;
  return part.depth * Math.pow(1 - Math.pow(Math.abs(t), part.flatness), part.taper);
}

/** Area of the crescent in image units (fractions of the image), integrating (R^2 - r_c^2) / 2. */
export function partArea(part: PneumothoraxPart, lung: PolarShape): number {
  const steps = 360;
  const dTheta = (2 * part.halfWidth) / steps;
  let sum = 0;
  for (let i = 0; i < steps; i++) {
    const theta = part.center - part.halfWidth + (i + 0.5) * dTheta;
    const r = lung.radiusAt(theta);
    const kept = 1 - partDepthAt(part, theta);
    sum += (r * r * (1 - kept * kept)) / 2;
  }
  return sum * dTheta;
}

/** Direction in the lung's polar frame from an angle measured from the apex (0) towards the side (pi/2). */
function fromApex(lung: 0 | 1, phi: number): number {
  return lung === 0 ? -Math.PI / 2 - phi : -Math.PI / 2 + phi;
}

/** Sets part.depth so the crescent has the given area, as far as maxDepth allows. */
function fitDepth(part: PneumothoraxPart, lung: PolarShape, area: number, maxDepth: number): void {
  let lo = 0,
    hi = maxDepth;
  for (let i = 0; i < 24; i++) {
    part.depth = (lo + hi) / 2;
    if (partArea(part, lung) < area) lo = part.depth;
    else hi = part.depth;
  }
  part.depth = (lo + hi) / 2;
}

/** The arc may run from a little past the apex on the medial side (phi < 0) down the lateral wall. */
const PHI_MIN = -0.6;
const PHI_MAX = 2.5;

/**
 * Draws a pneumothorax of 1 part, or `parts` separate parts along one arc with gaps between them,
 * whose areas add up to a size drawn from the sizing's distribution. A lung too narrow for that area
 * within the drawn arc gets a longer arc, so the size holds on every patient.
 */
export function drawPneumothorax(rng: Rng, anatomy: Anatomy, sizing: PneumothoraxSizing, parts: number): Pneumothorax {
  const lung: 0 | 1 = rng.bool() ? 0 : 1;
  const shape = anatomy.lungs[lung];
  const total = drawArea(rng, sizing, parts);
  // Large ones wrap further round the lung; small ones sit at the apex or high on the side. Under the
  // SIIM distribution the smallest are apical caps a fraction of a radian long, not hairlines along
  // the whole lateral wall.
  const siim = sizing.areaDistribution === 'siim';
  const [small, large] = siim ? [SMALL_AREA, LARGE_AREA] : [sizing.minAreaFraction, sizing.maxAreaFraction];
  const bigness = Math.min(1, Math.max(0, Math.log(total / small) / Math.max(1e-9, Math.log(large / small))));
  // Several parts need a longer arc between them, or each would be a wedge rather than a crescent.
  let span =
    parts > 1
      ? siim
        ? Math.min(2.7, 0.5 + 0.35 * parts + 1.2 * bigness) * rng.uniform(0.9, 1.1)
        : rng.uniform(2.2, 2.7)
      : siim
        ? rng.uniform(0.45, 0.8) + bigness * rng.uniform(0.8, 1.4)
        : rng.uniform(1.1, 1.6) + bigness * rng.uniform(0.3, 0.8);
  const startDraw = rng.next();
  const gap = rng.uniform(0.12, 0.22);
  const shapes = Array.from({ length: parts }, () => ({
    taper: parts > 1 ? rng.uniform(0.5, 0.8) : rng.uniform(0.55, 0.9),
    flatness: parts > 1 ? rng.uniform(3, 5) : rng.uniform(2, 4),
    share: rng.uniform(0.6, 1.4),
  }));
  const shareSum = shapes.reduce((a, b) => a + b.share, 0);
  const maxDepth = parts > 1 ? MAX_PART_DEPTH : MAX_DEPTH;
  const maxSpan = PHI_MAX - PHI_MIN;
  let result: PneumothoraxPart[] = [];
  for (;;) {
    const startPhi = PHI_MIN + startDraw * Math.max(0, PHI_MAX - span - PHI_MIN);
    const piece = (span - gap * (parts - 1)) / parts;
    result = shapes.map((shapeDraw, k) => {
      const phi = startPhi + k * (piece + gap) + piece / 2;
      const part: PneumothoraxPart = {
        lung,
        center: fromApex(lung, phi),
        halfWidth: piece / 2,
        depth: 0,
        taper: shapeDraw.taper,
        flatness: shapeDraw.flatness,
      };
      fitDepth(part, shape, (total * shapeDraw.share) / shareSum, maxDepth);
      return part;
    });
    const area = result.reduce((sum, part) => sum + partArea(part, shape), 0);
    if (area >= total * 0.98 || span >= maxSpan) break;
    span = Math.min(maxSpan, span + 0.2);
  }
  return {
    parts: result,
    lineWidth: rng.uniform(0.005, 0.007),
    lineDensity: rng.uniform(0.12, 0.17),
    extraAir: rng.uniform(0.025, 0.045),
  };
}
