// JPEG-LS (lossless and near-lossless) through CharLS compiled to WebAssembly.
import { checkDecodedSize, CodecError, type DecodedSamples, type EncodedFrame } from './frame.js';
import { charlsDecoder, runWasmDecoder } from './wasm.js';

export async function decodeJpegLs(frame: EncodedFrame): Promise<DecodedSamples> {
  const Decoder = await charlsDecoder();
  let result;
  try {
    result = runWasmDecoder(Decoder, frame.bytes);
  } catch (err) {
    throw new CodecError(`JPEG-LS stream does not decode (${describeWasmError(err)})`);
  }
  const { info, bytes } = result;
  checkDecodedSize('JPEG-LS', frame, info.width, info.height, info.componentCount);
  return samplesFromBytes(bytes, info.bitsPerSample, false, frame.rows * frame.columns);
}

/** Reinterprets a decoder's little-endian output bytes as one sample per pixel. */
export function samplesFromBytes(
  bytes: Uint8Array,
  bitsPerSample: number,
  signed: boolean,
  count: number,
): DecodedSamples {
  const bytesPerSample = bitsPerSample <= 8 ? 1 : bitsPerSample <= 16 ? 2 : 4;
  if (bytes.length < count * bytesPerSample)
    throw new CodecError(`decoder returned ${bytes.length} bytes for ${count} pixels`);
  const buffer = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + count * bytesPerSample);
  if (bytesPerSample === 1) return signed ? new Int8Array(buffer) : new Uint8Array(buffer);
  if (bytesPerSample === 2) return signed ? new Int16Array(buffer) : new Uint16Array(buffer);
  return signed ? new Int32Array(buffer) : new Uint32Array(buffer);
}

/** Emscripten codecs throw numbers (exception pointers) or strings; give something readable. */
export function describeWasmError(err: unknown): string {
  if (err instanceof Error) return err.message;
  if (typeof err === 'number') return `decoder exception ${err}`;
  return String(err);
}
