// Loads the cornerstone WebAssembly codecs (Emscripten builds) once per process. In Node their
// loaders read the .wasm next to the .js with fs; only their console chatter needs silencing.
import { createRequire } from 'node:module';
import { checkDecodedSize, CodecError, type DecodedSamples, type EncodedFrame } from './frame.js';

const require = createRequire(import.meta.url);

interface WasmDecoder {
  getEncodedBuffer(length: number): Uint8Array;
  decode(): void;
  getDecodedBuffer(): Uint8Array;
  getFrameInfo(): { width: number; height: number; bitsPerSample: number; componentCount: number; isSigned?: boolean };
  delete(): void;
}

type Factory = (options: Record<string, unknown>) => Promise<Record<string, new () => WasmDecoder>>;

const loaded = new Map<string, Promise<new () => WasmDecoder>>();

function load(specifier: string, className: string): Promise<new () => WasmDecoder> {
  let promise = loaded.get(specifier);
  if (!promise) {
    const factory = require(specifier) as Factory;
    const quiet = () => {};
    promise = factory({ print: quiet, printErr: quiet }).then((module) => module[className]);
    loaded.set(specifier, promise);
  }
  return promise;
}

export const charlsDecoder = () => load('@cornerstonejs/codec-charls/decodewasmjs', 'JpegLSDecoder');
export const openJpegDecoder = () => load('@cornerstonejs/codec-openjpeg/decodewasmjs', 'J2KDecoder');

/**
 * Runs one decode through a wasm decoder: copy in, decode, copy the samples out (the wasm heap is
 * reused by the next call), always free the decoder.
 */
function runWasmDecoder(Decoder: new () => WasmDecoder, bytes: Uint8Array) {
  const decoder = new Decoder();
  try {
    decoder.getEncodedBuffer(bytes.length).set(bytes);
    decoder.decode();
    const info = decoder.getFrameInfo();
    const decoded = decoder.getDecodedBuffer();
    return { info: { ...info }, bytes: decoded.slice() };
  } finally {
    decoder.delete();
  }
}

type FrameInfo = ReturnType<WasmDecoder['getFrameInfo']>;

/**
 * Decodes one frame with a wasm decoder: `codec` names it in errors, the decoded size is checked
 * against the header, and `signed` says how to read the samples.
 */
export function decodeWithWasm(
  codec: string,
  Decoder: new () => WasmDecoder,
  frame: EncodedFrame,
  signed: (info: FrameInfo) => boolean,
): DecodedSamples {
  let result;
  try {
    result = runWasmDecoder(Decoder, frame.bytes);
  } catch (err) {
    throw new CodecError(`${codec} stream does not decode (${describeWasmError(err)})`);
  }
  const { info, bytes } = result;
  checkDecodedSize(codec, frame, info.width, info.height, info.componentCount);
  return samplesFromBytes(bytes, info.bitsPerSample, signed(info), frame.rows * frame.columns);
}

/** Reinterprets a decoder's little-endian output bytes as one sample per pixel. */
function samplesFromBytes(bytes: Uint8Array, bitsPerSample: number, signed: boolean, count: number): DecodedSamples {
  const bytesPerSample = bitsPerSample <= 8 ? 1 : bitsPerSample <= 16 ? 2 : 4;
  if (bytes.length < count * bytesPerSample)
    throw new CodecError(`decoder returned ${bytes.length} bytes for ${count} pixels`);
  const buffer = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + count * bytesPerSample);
  if (bytesPerSample === 1) return signed ? new Int8Array(buffer) : new Uint8Array(buffer);
  if (bytesPerSample === 2) return signed ? new Int16Array(buffer) : new Uint16Array(buffer);
  return signed ? new Int32Array(buffer) : new Uint32Array(buffer);
}

/** Emscripten codecs throw numbers (exception pointers) or strings; give something readable. */
function describeWasmError(err: unknown): string {
  if (err instanceof Error) return err.message;
  if (typeof err === 'number') return `decoder exception ${err}`;
  return String(err);
}
