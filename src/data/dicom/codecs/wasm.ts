// Loads the cornerstone WebAssembly codecs (Emscripten builds) once per process. In Node their
// loaders read the .wasm next to the .js with fs; only their console chatter needs silencing.
import { createRequire } from 'node:module';

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
export function runWasmDecoder(Decoder: new () => WasmDecoder, bytes: Uint8Array) {
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
