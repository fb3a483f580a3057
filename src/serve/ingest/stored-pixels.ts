// The stored pixel values of an instance as the reading room's viewer takes them for its own
// window/level: little-endian samples of the narrowest type that holds them (8-bit files as bytes,
// 16-bit as unsigned or signed 16-bit words). Rescale and window come with them as response headers.
import { readDicomDisplayLookup, readDicomStoredPixels } from '../../data/dicom/index.js';

export type SampleType = 'uint8' | 'uint16' | 'int16' | 'int32';

export interface EncodedPixels {
  width: number;
  height: number;
  sampleType: SampleType;
  bytes: Uint8Array;
}

export async function readEncodedPixels(file: string): Promise<EncodedPixels> {
  const { meta, stored } = await readDicomStoredPixels(file);
  const { width, height, data } = stored;
  const signed = meta.pixelRepresentation === 1;
  let samples: Uint8Array | Uint16Array | Int16Array | Int32Array;
  let sampleType: SampleType;
  if (meta.bitsAllocated === 8 && !signed) [samples, sampleType] = [Uint8Array.from(data), 'uint8'];
  else if (meta.bitsAllocated <= 16)
    [samples, sampleType] = signed ? [Int16Array.from(data), 'int16'] : [Uint16Array.from(data), 'uint16'];
  else [samples, sampleType] = [data, 'int32'];
  // Typed arrays are little-endian on every platform Node runs on (x64, arm64).
  return { width, height, sampleType, bytes: new Uint8Array(samples.buffer, samples.byteOffset, samples.byteLength) };
}

/**
 * The model's display transform as 8-bit grey per stored value (`grey[v - first]`), rounded as an
 * 8-bit rendering of the model's input is: the reading room's "model" preset draws through it.
 */
export interface ModelDisplayLut {
  first: number;
  grey: Uint8Array;
}

export async function readModelDisplayLut(file: string): Promise<ModelDisplayLut | null> {
  const lookup = await readDicomDisplayLookup(file);
  if (!lookup) return null;
  const grey = new Uint8Array(lookup.values.length);
  for (let i = 0; i < grey.length; i++) {
    const v = lookup.values[i];
    grey[i] = v <= 0 ? 0 : v >= 1 ? 255 : Math.round(v * 255);
  }
  return { first: lookup.first, grey };
}
