// The pixel pipeline: stored values -> modality values (Rescale Slope/Intercept or Modality LUT)
// -> VOI (VOI LUT, else Window Center/Width, else min-max of the image) -> [0, 1], inverted for
// MONOCHROME1 so that every image comes out "bright = dense". Everything is folded into one lookup
// table over the range of stored values, so the per-pixel work is a single table read.
import type { DataSet } from 'dicom-parser';
import type { GrayImage } from '../image.js';
import type { DecodedSamples } from './codecs/index.js';
import { dicomString } from './meta.js';

/** Stored pixel values as the file holds them (masked to Bits Stored, sign-extended when signed), row-major. */
export interface StoredPixels {
  width: number;
  height: number;
  data: Int32Array;
}

/** 8-bit unsigned samples that are their own stored values (no masking, no sign): SIIM's JPEGs. */
export interface StoredBytes {
  width: number;
  height: number;
  data: Uint8Array;
}

export interface Lut {
  /** Stored (or modality) value mapped to the first entry; values below/above clamp to the ends. */
  firstMapped: number;
  /** Bits per entry from the LUT Descriptor. */
  bits: number;
  data: Uint16Array;
}

export type VoiFunction = 'LINEAR' | 'LINEAR_EXACT' | 'SIGMOID';

export interface DisplayParams {
  rescaleSlope: number;
  rescaleIntercept: number;
  modalityLut: Lut | null;
  voiLut: Lut | null;
  window: { center: number; width: number; fn: VoiFunction } | null;
  monochrome1: boolean;
}

/** Masks decoded samples to `bitsStored` bits and sign-extends them when `signed`. */
export function toStoredValues(
  samples: DecodedSamples,
  width: number,
  height: number,
  bitsStored: number,
  signed: boolean,
): StoredPixels {
  const count = width * height;
  const data = new Int32Array(count);
  // A native typed-array copy, then integer work on one array type only: indexing the several
  // sample array types in one loop makes V8's access megamorphic and ~20 times slower.
  data.set(samples.length === count ? samples : samples.subarray(0, count));
  if (bitsStored >= 32) return { width, height, data };
  // Unsigned samples no wider than Bits Stored need no masking (8-bit JPEG, most 16-bit data).
  const sampleBits = samples.BYTES_PER_ELEMENT * 8;
  const unsignedSamples =
    samples instanceof Uint8Array || samples instanceof Uint16Array || samples instanceof Uint32Array;
  if (!signed && unsignedSamples && sampleBits <= bitsStored) return { width, height, data };
  const shift = 32 - bitsStored;
  if (signed) {
    for (let i = 0; i < count; i++) data[i] = (data[i] << shift) >> shift;
  } else {
    const mask = (1 << bitsStored) - 1;
    for (let i = 0; i < count; i++) data[i] &= mask;
  }
  return { width, height, data };
}

/**
 * The decoded samples themselves when the display step can read them as they are (8-bit, unsigned,
 * no masking needed: SIIM's JPEGs), else null and the caller makes stored values (toStoredValues).
 */
export function plainByteSamples(
  samples: DecodedSamples,
  width: number,
  height: number,
  bitsStored: number,
  signed: boolean,
): StoredBytes | null {
  const plain = samples instanceof Uint8Array && !signed && bitsStored >= 8 && samples.length === width * height;
  return plain ? { width, height, data: samples } : null;
}

function readLut(item: DataSet | undefined, signedInput: boolean): Lut | null {
  if (!item) return null;
  const descriptor = item.elements.x00283002;
  const lutData = item.elements.x00283006;
  if (!descriptor || !lutData || descriptor.length < 6) return null;
  const entries = item.uint16('x00283002', 0) || 65536;
  let firstMapped = item.uint16('x00283002', 1) ?? 0;
  if (signedInput && firstMapped >= 0x8000) firstMapped -= 0x10000;
  const bits = item.uint16('x00283002', 2) ?? 16;
  const data = new Uint16Array(entries);
  if (bits <= 8 && lutData.length === entries) {
    for (let i = 0; i < entries; i++) data[i] = item.byteArray[lutData.dataOffset + i];
  } else {
    if (lutData.length < entries * 2) return null;
    for (let i = 0; i < entries; i++)
      data[i] = item.byteArrayParser.readUint16(item.byteArray, lutData.dataOffset + 2 * i);
  }
  return { firstMapped, bits, data };
}

function firstItem(dataSet: DataSet, tag: string): DataSet | undefined {
  return dataSet.elements[tag]?.items?.[0]?.dataSet;
}

export function readDisplayParams(dataSet: DataSet, pixelRepresentation: number, photometric: string): DisplayParams {
  const slope = dataSet.floatString('x00281053');
  const intercept = dataSet.floatString('x00281052');
  const center = dataSet.floatString('x00281050', 0);
  const width = dataSet.floatString('x00281051', 0);
  const fnName = dicomString(dataSet, 'x00281056')?.toUpperCase();
  const fn: VoiFunction = fnName === 'SIGMOID' || fnName === 'LINEAR_EXACT' ? fnName : 'LINEAR';
  const windowValid =
    center !== undefined &&
    width !== undefined &&
    Number.isFinite(center) &&
    width >= (fn === 'LINEAR' ? 1 : Number.MIN_VALUE);
  const modalityLut = readLut(firstItem(dataSet, 'x00283000'), pixelRepresentation === 1);
  return {
    rescaleSlope: slope !== undefined && Number.isFinite(slope) && slope !== 0 ? slope : 1,
    rescaleIntercept: intercept !== undefined && Number.isFinite(intercept) ? intercept : 0,
    modalityLut,
    // After a Modality LUT the values are unsigned LUT outputs.
    voiLut: readLut(firstItem(dataSet, 'x00283010'), modalityLut ? false : pixelRepresentation === 1),
    window: windowValid ? { center: center!, width: width!, fn } : null,
    monochrome1: photometric === 'MONOCHROME1',
  };
}

function lookup(lut: Lut, value: number): number {
  const i = Math.round(value) - lut.firstMapped;
  return lut.data[i < 0 ? 0 : i >= lut.data.length ? lut.data.length - 1 : i];
}

/** DICOM PS3.3 C.11.2.1.2 window functions, output in [0, 1]. */
function windowed(x: number, w: { center: number; width: number; fn: VoiFunction }): number {
  const { center: c, width } = w;
  if (w.fn === 'SIGMOID') return 1 / (1 + Math.exp((-4 * (x - c)) / width));
  if (w.fn === 'LINEAR_EXACT') return Math.min(1, Math.max(0, (x - c) / width + 0.5));
  if (x <= c - 0.5 - (width - 1) / 2) return 0;
  if (x > c - 0.5 + (width - 1) / 2) return 1;
  return (x - (c - 0.5)) / (width - 1) + 0.5;
}

/** The function from a stored value to a display value in [0, 1], given the image's stored range. */
function displayFunction(
  params: DisplayParams,
  storedMin: number,
  storedMax: number,
  present?: (v: number) => boolean,
): (v: number) => number {
  const { modalityLut, rescaleSlope, rescaleIntercept, voiLut, window, monochrome1 } = params;
  const modality = modalityLut
    ? (v: number) => lookup(modalityLut, v)
    : (v: number) => v * rescaleSlope + rescaleIntercept;
  let voi: (m: number) => number;
  if (voiLut) {
    // Normalise by the descriptor's range, or by the data when writers under-declare the bits.
    let top = 2 ** voiLut.bits - 1;
    for (const value of voiLut.data) if (value > top) top = value;
    voi = (m) => lookup(voiLut, m) / top;
  } else if (window) {
    voi = (m) => windowed(m, window);
  } else {
    let lo = Infinity;
    let hi = -Infinity;
    if (modalityLut && present) {
      for (let v = storedMin; v <= storedMax; v++) {
        if (!present(v)) continue;
        const m = modality(v);
        if (m < lo) lo = m;
        if (m > hi) hi = m;
      }
    } else {
      lo = Math.min(modality(storedMin), modality(storedMax));
      hi = Math.max(modality(storedMin), modality(storedMax));
    }
    const span = hi - lo;
    voi = span > 0 ? (m) => (m - lo) / span : () => 0;
  }
  return monochrome1 ? (v) => 1 - voi(modality(v)) : (v) => voi(modality(v));
}

const MAX_TABLE = 1 << 22;

// The per-pixel loops live in small functions of their own: V8 optimises those reliably, where the
// same loops inside renderGray ran several times slower.
function minMax(data: Int32Array): [number, number] {
  let min = data[0];
  let max = data[0];
  for (let i = 1; i < data.length; i++) {
    const v = data[i];
    if (v < min) min = v;
    else if (v > max) max = v;
  }
  return [min, max];
}

function applyTable(data: Int32Array, offset: number, table: Float32Array, out: Float32Array): void {
  for (let i = 0; i < data.length; i++) out[i] = table[data[i] - offset];
}

// Byte twins of minMax and applyTable: one array type per loop keeps V8's element access monomorphic.
// Most radiographs use the whole byte range, so the scan stops once it has seen 0 and 255 (checked per
// chunk, which keeps the inner loop as tight as before): on the SIIM sample that saves a full pass
// over the image for 9 files in 10.
const MIN_MAX_CHUNK = 4096;

function minMaxBytes(data: Uint8Array): [number, number] {
  let min = 255;
  let max = 0;
  for (let start = 0; start < data.length; start += MIN_MAX_CHUNK) {
    const end = Math.min(start + MIN_MAX_CHUNK, data.length);
    for (let i = start; i < end; i++) {
      const v = data[i];
      if (v < min) min = v;
      if (v > max) max = v;
    }
    if (min === 0 && max === 255) break;
  }
  return [min, max];
}

function applyTableBytes(data: Uint8Array, offset: number, table: Float32Array, out: Float32Array): void {
  for (let i = 0; i < data.length; i++) out[i] = table[data[i] - offset];
}

function markPresent(data: Int32Array, offset: number, seen: Uint8Array): void {
  for (let i = 0; i < data.length; i++) seen[data[i] - offset] = 1;
}

/** Stored values -> GrayImage in [0, 1], "bright = dense". */
export function renderGray(stored: StoredPixels | StoredBytes, params: DisplayParams): GrayImage {
  if (stored.data instanceof Uint8Array && !params.modalityLut) return renderGrayBytes(stored as StoredBytes, params);
  const { width, height } = stored;
  const data = stored.data instanceof Int32Array ? stored.data : Int32Array.from(stored.data);
  const pixels = new Float32Array(data.length);
  if (data.length === 0) return { width, height, pixels };
  const lookup = displayLookup({ width, height, data }, params);
  if (lookup) {
    applyTable(data, lookup.first, lookup.values, pixels);
    return { width, height, pixels };
  }
  const [min, max] = minMax(data);
  const f = displayFunction(params, min, max);
  for (let i = 0; i < data.length; i++) pixels[i] = f(data[i]);
  return { width, height, pixels };
}

/**
 * The display function of an image as a table over its stored values: `values[v - first]` is the
 * grey in [0, 1] that renderGray gives a pixel of stored value v (the same table renderGray reads).
 * Null for an empty image or one whose stored range is too wide for a table.
 */
export function displayLookup(
  stored: StoredPixels | StoredBytes,
  params: DisplayParams,
): { first: number; values: Float32Array } | null {
  if (stored.data.length === 0) return null;
  if (stored.data instanceof Uint8Array && !params.modalityLut) {
    const { table, min, max } = byteTable(stored.data, params);
    return { first: min, values: table.slice(min, max + 1) };
  }
  const data = stored.data instanceof Int32Array ? stored.data : Int32Array.from(stored.data);
  const [min, max] = minMax(data);
  const range = max - min + 1;
  if (range > MAX_TABLE) return null;
  let present: ((v: number) => boolean) | undefined;
  if (params.modalityLut && !params.voiLut && !params.window) {
    const seen = new Uint8Array(range);
    markPresent(data, min, seen);
    present = (v) => seen[v - min] === 1;
  }
  const f = displayFunction(params, min, max, present);
  const values = new Float32Array(range);
  for (let v = min; v <= max; v++) values[v - min] = f(v);
  return { first: min, values };
}

interface ByteTable {
  /** Indexed by the byte itself (256 entries); filled over [min, max]. */
  table: Float32Array;
  min: number;
  max: number;
}

/** The display table of plain 8-bit samples and the range of the samples. */
function byteTable(data: Uint8Array, params: DisplayParams): ByteTable {
  const [min, max] = minMaxBytes(data);
  const f = displayFunction(params, min, max);
  const table = new Float32Array(256);
  for (let v = min; v <= max; v++) table[v] = f(v);
  return { table, min, max };
}

/** renderGray for plain 8-bit samples: the same table, read straight from the bytes. */
function renderGrayBytes(stored: StoredBytes, params: DisplayParams): GrayImage {
  const { width, height, data } = stored;
  const pixels = new Float32Array(data.length);
  if (data.length === 0) return { width, height, pixels };
  applyTableBytes(data, 0, byteTable(data, params).table, pixels);
  return { width, height, pixels };
}

function halveBytes(data: Uint8Array, width: number, table: Float32Array, out: Float32Array, outWidth: number): void {
  const outHeight = out.length / outWidth;
  for (let y = 0; y < outHeight; y++) {
    let top = 2 * y * width;
    let bottom = top + width;
    let o = y * outWidth;
    for (let x = 0; x < outWidth; x++, top += 2, bottom += 2)
      out[o++] = (table[data[top]] + table[data[top + 1]] + table[data[bottom]] + table[data[bottom + 1]]) * 0.25;
  }
}

function boxShrinkBytes(
  data: Uint8Array,
  width: number,
  fx: number,
  fy: number,
  table: Float32Array,
  out: Float32Array,
  outWidth: number,
): void {
  const outHeight = out.length / outWidth;
  const scale = 1 / (fx * fy);
  const row = new Float32Array(outWidth);
  for (let y = 0; y < outHeight; y++) {
    row.fill(0);
    for (let dy = 0; dy < fy; dy++) {
      let i = (y * fy + dy) * width;
      for (let x = 0; x < outWidth; x++) {
        let acc = 0;
        for (let dx = 0; dx < fx; dx++) acc += table[data[i++]];
        row[x] += acc;
      }
    }
    const o = y * outWidth;
    for (let x = 0; x < outWidth; x++) out[o + x] = row[x] * scale;
  }
}

/**
 * renderGray followed by an area shrink by whole factors (fx, fy), for plain 8-bit samples, in one
 * pass that never holds the full-size float image: the table is read per source pixel and summed
 * into its block in the order resizePlane's box shrink sums, so the result is the same to the bit
 * (the model-input contract relies on that: training and inference must see the same pixels).
 */
export function renderGrayShrunk(stored: StoredBytes, params: DisplayParams, fx: number, fy: number): GrayImage {
  const { width, height, data } = stored;
  if (!Number.isInteger(fx) || !Number.isInteger(fy) || fx < 1 || fy < 1 || width % fx !== 0 || height % fy !== 0)
    throw new RangeError(`cannot shrink ${width}x${height} by whole factors ${fx}x${fy}`);
  const outWidth = width / fx;
  const pixels = new Float32Array(outWidth * (height / fy));
  if (data.length === 0) return { width: outWidth, height: height / fy, pixels };
  const { table } = byteTable(data, params);
  if (fx === 2 && fy === 2) halveBytes(data, width, table, pixels, outWidth);
  else boxShrinkBytes(data, width, fx, fy, table, pixels, outWidth);
  return { width: outWidth, height: height / fy, pixels };
}
