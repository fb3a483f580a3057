// Window/level in the browser: stored values -> modality values (rescale) -> the linear VOI window of
// DICOM PS3.3 C.11.2.1.2 -> grey, inverted for MONOCHROME1 (where low values are bright).

export interface Window {
  center: number;
  width: number;
}

export interface ModalityRange {
  min: number;
  max: number;
}

export function modalityRange(values: ArrayLike<number>, slope: number, intercept: number): ModalityRange {
  let lo = Infinity;
  let hi = -Infinity;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  if (lo === Infinity) return { min: 0, max: 1 };
  const a = lo * slope + intercept;
  const b = hi * slope + intercept;
  return { min: Math.min(a, b), max: Math.max(a, b) };
}

/** The window spanning every value. */
export function fullWindow(range: ModalityRange): Window {
  return { center: (range.min + range.max + 1) / 2, width: Math.max(1, range.max - range.min + 1) };
}

/** The window between the 1st and 99th percentile of the modality values: contrast without outliers. */
export function percentileWindow(values: ArrayLike<number>, slope: number, intercept: number): Window {
  const step = Math.max(1, Math.floor(values.length / 65536));
  const sample: number[] = [];
  for (let i = 0; i < values.length; i += step) sample.push(values[i] * slope + intercept);
  sample.sort((a, b) => a - b);
  const lo = sample[Math.floor(sample.length * 0.01)] ?? 0;
  const hi = sample[Math.floor(sample.length * 0.99)] ?? 1;
  return { center: (lo + hi) / 2, width: Math.max(1, hi - lo) };
}

/**
 * Writes grey RGBA through a table over the stored values (`grey[v - first]`, clamped to its ends):
 * the model-input contract's display transform as the service sends it, so the "model" preset shows
 * the grey the model's input was made from, VOI LUT and sigmoid windows included.
 */
export function renderLut(
  values: ArrayLike<number>,
  lut: { first: number; grey: ArrayLike<number> },
  out: Uint8ClampedArray,
): void {
  const last = lut.grey.length - 1;
  for (let i = 0, o = 0; i < values.length; i++, o += 4) {
    const k = values[i] - lut.first;
    const g = lut.grey[k < 0 ? 0 : k > last ? last : k];
    out[o] = g;
    out[o + 1] = g;
    out[o + 2] = g;
    out[o + 3] = 255;
  }
}

/** Writes grey RGBA for every stored value into `out` (4 bytes a pixel). */
export function renderWindow(
  values: ArrayLike<number>,
  slope: number,
  intercept: number,
  window: Window,
  invert: boolean,
  out: Uint8ClampedArray,
): void {
  const width = Math.max(1, window.width);
  const low = window.center - 0.5 - (width - 1) / 2;
  const high = window.center - 0.5 + (width - 1) / 2;
  const span = Math.max(1e-9, width - 1);
  for (let i = 0, o = 0; i < values.length; i++, o += 4) {
    const m = values[i] * slope + intercept;
    let g = m <= low ? 0 : m > high ? 255 : ((m - (window.center - 0.5)) / span + 0.5) * 255;
    if (invert) g = 255 - g;
    out[o] = g;
    out[o + 1] = g;
    out[o + 2] = g;
    out[o + 3] = 255;
  }
}
