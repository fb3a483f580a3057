// JPEG-LS (lossless and near-lossless) through CharLS compiled to WebAssembly.
import type { DecodedSamples, EncodedFrame } from './frame.js';
import { charlsDecoder, decodeWithWasm } from './wasm.js';

export async function decodeJpegLs(frame: EncodedFrame): Promise<DecodedSamples> {
  return decodeWithWasm('JPEG-LS', await charlsDecoder(), frame, () => false);
}
