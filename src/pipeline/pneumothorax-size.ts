// The size of a pneumothorax as clinicians grade it on an upright PA film, measured on the predicted
// mask (the air between the pleurae) with the image's pixel spacing:
//   - ACCP (American College of Chest Physicians, 2001): the apex-to-cupola distance, from the top of
//     the thoracic cavity (the cupola) down to the apex of the collapsed lung; >= 3 cm is large.
//   - BTS (British Thoracic Society, 2010): the interpleural distance at the level of the hilum, from
//     the chest wall to the lung edge; >= 2 cm is large.
// With no lung outline the two are read off the mask alone. In each half of the image that holds
// mask pixels: the cupola is the mask's top row there; below each of its pixels the air runs down
// unbroken to the lung's surface, and the lung apex is the highest such surface point, so the
// apex-to-cupola distance is the shortest of those runs (a column whose run goes on down the lateral
// wall is the rim beside the lung, not the cap above it). The hilum
// level is a row given by the caller or, by default, a fixed share of the image height (on a PA chest
// film the hila lie a little above the middle); the interpleural distance is the longest unbroken
// horizontal run of mask pixels on that row, 0 when the air does not reach it. Each half is measured
// alone, because a bilateral pneumothorax is two; the larger of each is what grades the study.
// A distance of n pixels is n times the spacing: pixel edges to pixel edges.
import type { Mask } from '../data/image.js';

export const ACCP_LARGE_MM = 30;
export const BTS_LARGE_MM = 20;
/** The hilum level as a share of the image height, when no row is given. */
export const DEFAULT_HILUM_FRACTION = 0.45;

export type ImageHalf = 'image-left' | 'image-right';

/** A vertical segment on one column, rows `top` to `bottom` inclusive. */
export interface VerticalSegment {
  column: number;
  top: number;
  bottom: number;
  mm: number;
}

/** A horizontal segment on one row, columns `left` to `right` inclusive. */
export interface HorizontalSegment {
  row: number;
  left: number;
  right: number;
  mm: number;
}

export interface SideSize {
  half: ImageHalf;
  apexToCupola: VerticalSegment;
  /** Null when the mask does not reach the hilum level on this side (0 mm). */
  interpleural: HorizontalSegment | null;
}

export interface PneumothoraxSize {
  /** Each half with mask pixels, the one with the longer apex-to-cupola distance first. */
  sides: SideSize[];
  /** The row taken as the hilum level. */
  hilumRow: number;
  /** The largest of each measure over the sides. */
  apexToCupolaMm: number;
  interpleuralMm: number;
  largeAccp: boolean;
  largeBts: boolean;
  /** Large by either rule. */
  large: boolean;
}

export interface MeasureOptions {
  /** The hilum level; default DEFAULT_HILUM_FRACTION of the image height. */
  hilumRow?: number;
}

function measureHalf(
  mask: Mask,
  half: ImageHalf,
  from: number,
  to: number,
  hilumRow: number,
  spacing: [number, number],
): SideSize | null {
  const { width, height, data } = mask;
  const [rowMm, columnMm] = spacing;
  let top = -1;
  for (let y = 0; y < height && top < 0; y++)
    for (let x = from; x < to; x++)
      if (data[y * width + x]) {
        top = y;
        break;
      }
  if (top < 0) return null;
  // Columns of the cupola row whose run is shortest; the middle one is drawn.
  let shortest = Infinity;
  let columns: number[] = [];
  for (let x = from; x < to; x++) {
    if (!data[top * width + x]) continue;
    let y = top;
    while (y + 1 < height && data[(y + 1) * width + x]) y++;
    const run = y - top + 1;
    if (run < shortest) {
      shortest = run;
      columns = [x];
    } else if (run === shortest) columns.push(x);
  }
  const column = columns[Math.floor((columns.length - 1) / 2)];
  const apexToCupola: VerticalSegment = { column, top, bottom: top + shortest - 1, mm: shortest * rowMm };
  let interpleural: HorizontalSegment | null = null;
  for (let x = from; x < to; x++) {
    if (!data[hilumRow * width + x]) continue;
    let end = x;
    while (end + 1 < to && data[hilumRow * width + end + 1]) end++;
    const run = end - x + 1;
    if (!interpleural || run > interpleural.right - interpleural.left + 1)
      interpleural = { row: hilumRow, left: x, right: end, mm: run * columnMm };
    x = end;
  }
  return { half, apexToCupola, interpleural };
}

/**
 * The ACCP and BTS measures of a pneumothorax mask; null for an empty mask or when the pixel spacing
 * ([row, column] mm) is unknown, since a size in pixels grades nothing.
 */
export function measurePneumothorax(
  mask: Mask,
  pixelSpacing: [number, number] | null,
  options: MeasureOptions = {},
): PneumothoraxSize | null {
  if (!pixelSpacing || !(pixelSpacing[0] > 0) || !(pixelSpacing[1] > 0)) return null;
  const { width, height } = mask;
  const hilumRow = Math.min(
    height - 1,
    Math.max(0, Math.round(options.hilumRow ?? (height - 1) * DEFAULT_HILUM_FRACTION)),
  );
  const middle = Math.ceil(width / 2);
  const sides = [
    measureHalf(mask, 'image-left', 0, middle, hilumRow, pixelSpacing),
    measureHalf(mask, 'image-right', middle, width, hilumRow, pixelSpacing),
  ].filter((s): s is SideSize => s !== null);
  if (sides.length === 0) return null;
  sides.sort((a, b) => b.apexToCupola.mm - a.apexToCupola.mm);
  const apexToCupolaMm = Math.max(...sides.map((s) => s.apexToCupola.mm));
  const interpleuralMm = Math.max(...sides.map((s) => s.interpleural?.mm ?? 0));
  const largeAccp = apexToCupolaMm >= ACCP_LARGE_MM;
  const largeBts = interpleuralMm >= BTS_LARGE_MM;
  return {
    sides,
    hilumRow,
    apexToCupolaMm,
    interpleuralMm,
    largeAccp,
    largeBts,
    large: largeAccp || largeBts,
  };
}

/** One line for a reader: both measures with their grade, in cm. */
export function sizeText(size: PneumothoraxSize): string {
  const cm = (mm: number) => (mm / 10).toFixed(1);
  return (
    `apex-cupola ${cm(size.apexToCupolaMm)} cm (ACCP ${size.largeAccp ? 'large' : 'small'}), ` +
    `interpleural at hilum ${cm(size.interpleuralMm)} cm (BTS ${size.largeBts ? 'large' : 'small'})`
  );
}
