// The SIIM-ACR run-length codec (ARCHITECTURE.md, "SIIM RLE"): pairs of (gap, length), the first gap
// counted from pixel 0 and every later gap from the end of the previous run, pixels numbered column by
// column (top to bottom, then left to right). Masks are held row-major in image coordinates, so the
// codec transposes as it walks.
import { emptyMask, type Mask } from './image.js';

export const SIIM_SIZE = 1024;

export class RleError extends Error {
  override name = 'RleError';
  constructor(
    readonly imageId: string,
    /** What is wrong, without the image id (for callers that name the image their own way). */
    readonly reason: string,
  ) {
    super(`${imageId || 'RLE'}: ${reason}`);
  }
}

/** True for the encodings of an empty mask: `-1`, ` -1`, or an empty field. */
export function isEmptyRle(encoded: string): boolean {
  const t = encoded.trim();
  return t === '' || t === '-1';
}

/**
 * The runs of one encoded row as absolute column-major [start, end) pairs, flat, in row order.
 * Throws an RleError naming the image for an odd count of numbers, a number that is not a
 * non-negative integer, or a run past the end of the width x height image.
 */
function absoluteRuns(encoded: string, width: number, height: number, imageId: string): number[] {
  if (isEmptyRle(encoded)) return [];
  const parts = encoded.trim().split(/\s+/);
  if (parts.length % 2 !== 0) throw new RleError(imageId, `odd count of numbers (${parts.length}) in the RLE`);
  const total = width * height;
  const runs = new Array<number>(parts.length);
  let position = 0;
  for (let i = 0; i < parts.length; i += 2) {
    for (const p of [parts[i], parts[i + 1]]) {
      if (!/^\d+$/.test(p)) throw new RleError(imageId, `"${p}" in the RLE is not a non-negative integer`);
    }
    const start = position + Number(parts[i]);
    const end = start + Number(parts[i + 1]);
    if (end > total) throw new RleError(imageId, `run ${i / 2 + 1} ends at pixel ${end}, past the end of the ${width}x${height} image`);
    runs[i] = start;
    runs[i + 1] = end;
    position = end;
  }
  return runs;
}

/** ORs the runs of one encoded row into `mask` (several rows of one image are OR-ed, never added). */
export function decodeRleInto(mask: Mask, encoded: string, imageId = ''): Mask {
  const { width, height, data } = mask;
  const runs = absoluteRuns(encoded, width, height, imageId);
  for (let i = 0; i < runs.length; i += 2) {
    const start = runs[i];
    const end = runs[i + 1];
    // Column-major index k is (column = k / height, row = k % height).
    let column = Math.floor(start / height);
    let row = start - column * height;
    for (let k = start; k < end; k++) {
      data[row * width + column] = 1;
      if (++row === height) {
        row = 0;
        column++;
      }
    }
  }
  return mask;
}

export function decodeRle(encoded: string, width = SIIM_SIZE, height = SIIM_SIZE, imageId = ''): Mask {
  return decodeRleInto(emptyMask(width, height), encoded, imageId);
}

/** Decodes and ORs every row of one image. */
export function decodeRleRows(rows: readonly string[], width = SIIM_SIZE, height = SIIM_SIZE, imageId = ''): Mask {
  const mask = emptyMask(width, height);
  for (const row of rows) decodeRleInto(mask, row, imageId);
  return mask;
}

/**
 * The pixels of one or several rows of an image as sorted, merged, half-open column-major intervals,
 * flat: [start0, end0, start1, end1, ...]. Validates exactly as decoding does but allocates no mask, so
 * that checking or scoring thousands of rows stays cheap. Overlapping rows merge (OR, never add).
 */
export function rleIntervals(rows: readonly string[], width = SIIM_SIZE, height = SIIM_SIZE, imageId = ''): number[] {
  const pairs: [number, number][] = [];
  for (const encoded of rows) {
    const runs = absoluteRuns(encoded, width, height, imageId);
    for (let i = 0; i < runs.length; i += 2) if (runs[i + 1] > runs[i]) pairs.push([runs[i], runs[i + 1]]);
  }
  // One row's runs come ordered; several rows need sorting before they merge.
  if (rows.length > 1) pairs.sort((a, b) => a[0] - b[0]);
  const merged: number[] = [];
  for (const [start, end] of pairs) {
    const lastEnd = merged.length - 1;
    if (lastEnd > 0 && start <= merged[lastEnd]) merged[lastEnd] = Math.max(merged[lastEnd], end);
    else merged.push(start, end);
  }
  return merged;
}

/** Encodes a mask; an empty mask is `-1`, and a run that reaches the last pixel is written too. */
export function encodeRle(mask: Mask): string {
  const { width, height, data } = mask;
  const out: number[] = [];
  let runStart = -1;
  let lastEnd = 0;
  let k = 0;
  for (let column = 0; column < width; column++) {
    for (let row = 0; row < height; row++, k++) {
      const on = data[row * width + column] !== 0;
      if (on && runStart < 0) runStart = k;
      else if (!on && runStart >= 0) {
        out.push(runStart - lastEnd, k - runStart);
        lastEnd = k;
        runStart = -1;
      }
    }
  }
  if (runStart >= 0) out.push(runStart - lastEnd, k - runStart);
  return out.length === 0 ? '-1' : out.join(' ');
}
