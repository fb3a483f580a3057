// Images the input gate must refuse, made from a frontal chest film or drawn from nothing: a 90-degree
// rotation, an inverted film (bright = air), a synthetic lateral view and a natural scene. Shared by
// the gate's tests and bench/gate.ts.
import type { GrayImage } from '../../src/data/image.js';
import { Rng } from '../../src/data/random.js';

/** The film turned a quarter clockwise (width and height swap). */
export function rotated90(image: GrayImage): GrayImage {
  const { width, height, pixels } = image;
  const out = new Float32Array(width * height);
  // Output (x', y') with width' = height: x' = height - 1 - y, y' = x.
  for (let y = 0; y < height; y++)
    for (let x = 0; x < width; x++) out[x * height + (height - 1 - y)] = pixels[y * width + x];
  return { width: height, height: width, pixels: out };
}

/** The film with its grey scale reversed, as a MONOCHROME1 film read as MONOCHROME2 looks. */
export function inverted(image: GrayImage): GrayImage {
  return { ...image, pixels: image.pixels.map((v) => 1 - v) };
}

/**
 * A lateral view made from a frontal film: a lateral projection superimposes the two lungs, so the
 * two halves of the film are averaged (the right half mirrored onto the left), which leaves one lung
 * field with the mediastinum and heart along one edge; that is stretched to the film's width, and the
 * thoracic spine is drawn behind it as a column of bright vertebral bodies with darker disc spaces,
 * as it shows on a lateral. The shoulders' soft tissue over the apices is darkened away, since arms
 * are raised for a lateral.
 */
export function syntheticLateral(image: GrayImage): GrayImage {
  const { width, height, pixels } = image;
  const half = Math.floor(width / 2);
  const out = new Float32Array(width * height);
  for (let y = 0; y < height; y++)
    for (let x = 0; x < width; x++) {
      // Source column within the half film (0 = outer edge, half - 1 = midline).
      const u = Math.min(half - 1, Math.floor((x / width) * half));
      const left = pixels[y * width + u];
      const right = pixels[y * width + (width - 1 - u)];
      out[y * width + x] = (left + right) / 2;
    }
  // The spine: vertebral bodies about 4% of the height tall, behind the lung field.
  const spineFrom = Math.round(width * 0.78);
  const spineTo = Math.round(width * 0.9);
  const body = Math.max(4, Math.round(height * 0.04));
  for (let y = Math.round(height * 0.05); y < Math.round(height * 0.95); y++) {
    const inDisc = y % body < body * 0.2;
    for (let x = spineFrom; x < spineTo; x++) {
      const edge = Math.min(x - spineFrom, spineTo - 1 - x) / ((spineTo - spineFrom) / 2);
      const density = (inDisc ? 0.55 : 0.85) * Math.min(1, 0.6 + edge);
      const i = y * width + x;
      out[i] = Math.max(out[i], density);
    }
  }
  return { width, height, pixels: out };
}

/**
 * A grey natural scene: bright sky graded to the horizon, a sun, rolling hills with grass texture and
 * a row of dark trees. Nothing like a radiograph's anatomy, as a photograph sent by mistake would be.
 */
export function naturalScene(width: number, height: number, seed = 1): GrayImage {
  const rng = new Rng(seed);
  const pixels = new Float32Array(width * height);
  const horizon = (x: number) =>
    height * (0.55 + 0.06 * Math.sin((x / width) * 2 * Math.PI * 1.3 + seed) + 0.03 * Math.sin((x / width) * 17));
  const sun = { x: width * (0.2 + 0.6 * rng.next()), y: height * 0.2, r: height * 0.07 };
  const trees = Array.from({ length: 7 }, () => ({
    x: width * rng.next(),
    w: width * (0.02 + 0.03 * rng.next()),
    h: height * (0.15 + 0.2 * rng.next()),
  }));
  for (let y = 0; y < height; y++)
    for (let x = 0; x < width; x++) {
      const ground = horizon(x);
      let v: number;
      if (y < ground) {
        v = 0.95 - 0.35 * (y / ground);
        if (Math.hypot(x - sun.x, y - sun.y) < sun.r) v = 1;
      } else {
        v = 0.35 + 0.1 * Math.sin(x * 0.9 + y * 0.4) * Math.sin(y * 1.3) + 0.08 * (rng.next() - 0.5);
      }
      for (const t of trees) {
        const dx = Math.abs(x - t.x);
        if (y < ground && y > ground - t.h && dx < t.w * (1 - (ground - y) / t.h) + 1) v = 0.12 + 0.05 * rng.next();
      }
      pixels[y * width + x] = Math.min(1, Math.max(0, v));
    }
  return { width, height, pixels };
}
