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
    if (end > total)
      throw new RleError(
        imageId,
        `run ${i / 2 + 1} ends at pixel ${end}, past the end of the ${width}x${height} image`,
      );
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

/**
 * Encodes a mask; an empty mask is `-1`, and a run that reaches the last pixel is written too.
 *
 * Walking the row-major mask column by column would stride through memory a row at a time, which is
 * several times slower than NumPy. Instead one row-major pass finds the run boundaries: a pixel whose
 * state differs from the pixel before it in column-major order (the one above it, or for row 0 the
 * bottom of the previous column). Unchanged 4-pixel words are skipped whole. The few boundaries are
 * then sorted into column-major order and paired into (gap, length).
 */
export function encodeRle(mask: Mask): string {
  const { width, height, data } = mask;
  const total = width * height;
  if (total === 0) return '-1';
  const boundaries: number[] = [];
  const on = (i: number) => data[i] !== 0;
  if (on(0)) boundaries.push(0);
  const lastRow = (height - 1) * width;
  for (let x = 1; x < width; x++) if (on(x) !== on(lastRow + x - 1)) boundaries.push(x * height);
  const words =
    width % 4 === 0 && data.byteOffset % 4 === 0 ? new Uint32Array(data.buffer, data.byteOffset, total >>> 2) : null;
  const wordsPerRow = width >>> 2;
  for (let y = 1; y < height; y++) {
    const row = y * width;
    const above = row - width;
    if (words) {
      for (let w = 0, wr = row >>> 2, wa = above >>> 2; w < wordsPerRow; w++) {
        if (words[wr + w] === words[wa + w]) continue;
        for (let x = 4 * w; x < 4 * w + 4; x++) if (on(row + x) !== on(above + x)) boundaries.push(x * height + y);
      }
    } else {
      for (let x = 0; x < width; x++) if (on(row + x) !== on(above + x)) boundaries.push(x * height + y);
    }
  }
  if (on(total - 1)) boundaries.push(total);
  if (boundaries.length === 0) return '-1';
  // Boundaries alternate run start, run end once in column-major order.
  boundaries.sort((a, b) => a - b);
  const out = new Array<number>(boundaries.length);
  let lastEnd = 0;
  for (let i = 0; i < boundaries.length; i += 2) {
    out[i] = boundaries[i] - lastEnd;
    out[i + 1] = boundaries[i + 1] - boundaries[i];
    lastEnd = boundaries[i + 1];
  }
  return out.join(' ');
}
