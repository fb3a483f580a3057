// JPEG Lossless, processes 14 and 14 SV1 (ITU T.81 Annex H), through the decoder cornerstone uses.
import { Decoder } from '@cornerstonejs/jpeg-lossless-decoder-js';
import { checkDecodedSize, CodecError, type DecodedSamples, type EncodedFrame } from './frame.js';

export function decodeJpegLossless(frame: EncodedFrame): DecodedSamples {
  const { bytes } = frame;
  const decoder = new Decoder();
  let out: Uint8Array | Uint16Array;
  try {
    const copy = bytes.slice();
    out = decoder.decode(copy.buffer, 0, copy.length);
  } catch (err) {
    throw new CodecError(`JPEG Lossless stream does not decode (${err instanceof Error ? err.message : String(err)})`);
  }
  if (!out) throw new CodecError('JPEG Lossless stream does not decode (no image in the stream)');
  checkDecodedSize('JPEG Lossless', frame, decoder.xDim, decoder.yDim, decoder.numComp);
  if (out.length < frame.rows * frame.columns) throw new CodecError('JPEG Lossless stream ends early', true);
  return out.subarray(0, frame.rows * frame.columns);
}
