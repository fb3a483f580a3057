// The SIIM-ACR run-length codec (ARCHITECTURE.md, "SIIM RLE"): pairs of (gap, length), the first gap
// counted from pixel 0 and every later gap from the end of the previous run, pixels numbered column by
// column (top to bottom, then left to right). Masks are held row-major in image coordinates, so the
// codec transposes as it walks.
//
// Other Kaggle label files write Kaggle's standard RLE instead: pairs of (start, length) whose start is
// the absolute, 1-based number of the run's first pixel in the same column-major order. Label readers
// turn such rows into the SIIM form once (toRelativeRle), so everything after them sees one encoding.
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

/** How the first number of each pair counts: SIIM's gap from the previous run, or Kaggle's absolute 1-based start. */
export const RLE_READINGS = ['relative', 'absolute'] as const;
export type RleReading = (typeof RLE_READINGS)[number];

/** True for the encodings of an empty mask: `-1`, ` -1`, or an empty field. */
export function isEmptyRle(encoded: string): boolean {
  const t = encoded.trim();
  return t === '' || t === '-1';
}

/**
 * The runs of one encoded row as absolute column-major [start, end) pairs, flat, in row order.
 * Throws an RleError naming the image for an odd count of numbers, a number that is not a
 * non-negative integer, or a run past the end of the width x height image. Read as `absolute`, a
 * start must be at least 1 and runs must come in order, each starting at or after the previous
 * one's end, as Kaggle's encoders write them: a relative row read that way almost always goes
 * backwards, which is what lets `--rle auto` tell the two apart.
 */
function absoluteRuns(
  encoded: string,
  width: number,
  height: number,
  imageId: string,
  reading: RleReading = 'relative',
): number[] {
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
    const run = i / 2 + 1;
    let start: number;
    if (reading === 'relative') start = position + Number(parts[i]);
    else {
      start = Number(parts[i]) - 1;
      if (start < 0) throw new RleError(imageId, `run ${run} starts at 0; absolute run starts count from 1`);
      if (start < position)
        throw new RleError(
          imageId,
          `run ${run} starts at pixel ${start + 1}, before the end of run ${run - 1} (absolute runs come in order)`,
        );
    }
    const end = start + Number(parts[i + 1]);
    if (end > total)
      throw new RleError(imageId, `run ${run} ends at pixel ${end}, past the end of the ${width}x${height} image`);
    runs[i] = start;
    runs[i + 1] = end;
    position = end;
  }
  return runs;
}

/**
 * One encoded row in the SIIM (relative) form, checked against the width x height image as decoding
 * checks it (RleError otherwise). A relative row comes back as given, so that reading a SIIM file
 * changes nothing; an absolute row gets its starts turned into gaps.
 */
export function toRelativeRle(
  encoded: string,
  reading: RleReading,
  width = SIIM_SIZE,
  height = SIIM_SIZE,
  imageId = '',
): string {
  const runs = absoluteRuns(encoded, width, height, imageId, reading);
  if (reading === 'relative' || runs.length === 0) return encoded;
  const out = new Array<number>(runs.length);
  let lastEnd = 0;
  for (let i = 0; i < runs.length; i += 2) {
    out[i] = runs[i] - lastEnd;
    out[i + 1] = runs[i + 1] - runs[i];
    lastEnd = runs[i + 1];
  }
  return out.join(' ');
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
