// The stored pixel values of an instance as the reading room's viewer takes them for its own
// window/level: little-endian samples of the narrowest type that holds them (8-bit files as bytes,
// 16-bit as unsigned or signed 16-bit words). Rescale and window come with them as response headers.
import { readDicomStoredPixels } from '../../data/dicom/index.js';

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
