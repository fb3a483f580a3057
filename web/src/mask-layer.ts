// The mask as the viewer draws and edits it: RGBA in one saturated colour (a hue no grey window can
// produce, so it stays visible on bright and dark lungs alike), filled or as an outline, and a round
// brush that sets or clears mask pixels.
import type { Mask } from '../../src/data/image.js';

export type MaskStyle = 'fill' | 'outline';

/** Magenta: far from every grey, and from the service overlay's own colour it is not confused with. */
const COLOUR = [255, 40, 200] as const;
/** Outline thickness in image pixels, so that it survives the zoom-out of a 1024 px image. */
const OUTLINE = 2;

function onEdge(mask: Mask, x: number, y: number): boolean {
  const { width, height, data } = mask;
  for (let d = 1; d <= OUTLINE; d++) {
    if (x - d < 0 || x + d >= width || y - d < 0 || y + d >= height) return true;
    if (!data[y * width + x - d] || !data[y * width + x + d]) return true;
    if (!data[(y - d) * width + x] || !data[(y + d) * width + x]) return true;
  }
  return false;
}

export function renderMask(mask: Mask, style: MaskStyle, out: Uint8ClampedArray): void {
  const { width, height, data } = mask;
  out.fill(0);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const i = y * width + x;
      if (!data[i]) continue;
      if (style === 'outline' && !onEdge(mask, x, y)) continue;
      const o = i * 4;
      out[o] = COLOUR[0];
      out[o + 1] = COLOUR[1];
      out[o + 2] = COLOUR[2];
      out[o + 3] = 255;
    }
  }
}

/** Sets (brush) or clears (eraser) the disc of `radius` image pixels around (cx, cy); true when a pixel changed. */
export function paintDisc(mask: Mask, cx: number, cy: number, radius: number, value: 0 | 1): boolean {
  const { width, height, data } = mask;
  let changed = false;
  const r2 = radius * radius;
  for (let y = Math.max(0, Math.floor(cy - radius)); y <= Math.min(height - 1, Math.ceil(cy + radius)); y++) {
    for (let x = Math.max(0, Math.floor(cx - radius)); x <= Math.min(width - 1, Math.ceil(cx + radius)); x++) {
      if ((x - cx) * (x - cx) + (y - cy) * (y - cy) > r2) continue;
      const i = y * width + x;
      if (data[i] !== value) {
        data[i] = value;
        changed = true;
      }
    }
  }
  return changed;
}

/** Paints discs along the segment from (x0, y0) to (x1, y1), so that a fast stroke leaves no gaps. */
export function paintStroke(
  mask: Mask,
  x0: number,
  y0: number,
  x1: number,
  y1: number,
  radius: number,
  value: 0 | 1,
): boolean {
  const steps = Math.max(1, Math.ceil(Math.hypot(x1 - x0, y1 - y0) / Math.max(1, radius / 2)));
  let changed = false;
  for (let s = 0; s <= steps; s++) {
    const t = s / steps;
    changed = paintDisc(mask, x0 + (x1 - x0) * t, y0 + (y1 - y0) * t, radius, value) || changed;
  }
  return changed;
}
