// Picks the codec for a transfer syntax's pixel encoding.
import type { PixelEncoding } from '../transfer-syntax.js';
import type { DecodedSamples, EncodedFrame } from './frame.js';
import { decodeNative } from './native.js';
import { decodeRle } from './rle.js';

export { CodecError, type DecodedSamples, type EncodedFrame } from './frame.js';

/** Decodes one frame; the codec modules (and their wasm) load on first use. */
export async function decodeFrame(encoding: PixelEncoding, frame: EncodedFrame): Promise<DecodedSamples> {
  switch (encoding) {
    case 'native':
      return decodeNative(frame);
    case 'rle':
      return decodeRle(frame);
    case 'jpeg-baseline':
    case 'jpeg-extended':
      return (await import('./jpeg-baseline.js')).decodeJpegBaseline(frame);
    case 'jpeg-lossless':
      return (await import('./jpeg-lossless.js')).decodeJpegLossless(frame);
    case 'jpeg-ls':
      return (await import('./jpeg-ls.js')).decodeJpegLs(frame);
    case 'jpeg2000':
      return (await import('./jpeg2000.js')).decodeJpeg2000(frame);
  }
}
