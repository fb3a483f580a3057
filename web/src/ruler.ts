// The viewer's ruler: a line between two image points, its length in millimetres from the pixel
// spacing ([row, column] mm, so a diagonal on anisotropic pixels is measured right), or in pixels when
// the image has no spacing.
import type { Point } from './viewport.js';

export interface RulerLength {
  pixels: number;
  /** Null when the image gives no pixel spacing. */
  mm: number | null;
}

export function rulerLength(from: Point, to: Point, pixelSpacing: readonly [number, number] | null): RulerLength {
  const dx = to.x - from.x;
  const dy = to.y - from.y;
  return {
    pixels: Math.hypot(dx, dy),
    mm: pixelSpacing ? Math.hypot(dx * pixelSpacing[1], dy * pixelSpacing[0]) : null,
  };
}

export function rulerText(length: RulerLength): string {
  return length.mm !== null ? `${length.mm.toFixed(1)} mm` : `${length.pixels.toFixed(0)} px (no pixel spacing)`;
}
