// JPEG 2000 (lossless and lossy) through OpenJPEG compiled to WebAssembly.
import type { DecodedSamples, EncodedFrame } from './frame.js';
import { decodeWithWasm, openJpegDecoder } from './wasm.js';

export async function decodeJpeg2000(frame: EncodedFrame): Promise<DecodedSamples> {
  // The codestream's own signedness wins: some writers store unsigned J2K data under Pixel
  // Representation 1 and the reverse; the pipeline then reinterprets by Bits Stored.
  return decodeWithWasm('JPEG 2000', await openJpegDecoder(), frame, (info) => Boolean(info.isSigned));
}
