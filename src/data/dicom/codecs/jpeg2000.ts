// JPEG 2000 (lossless and lossy) through OpenJPEG compiled to WebAssembly.
import { checkDecodedSize, CodecError, type DecodedSamples, type EncodedFrame } from './frame.js';
import { describeWasmError, samplesFromBytes } from './jpeg-ls.js';
import { openJpegDecoder, runWasmDecoder } from './wasm.js';

export async function decodeJpeg2000(frame: EncodedFrame): Promise<DecodedSamples> {
  const Decoder = await openJpegDecoder();
  let result;
  try {
    result = runWasmDecoder(Decoder, frame.bytes);
  } catch (err) {
    throw new CodecError(`JPEG 2000 stream does not decode (${describeWasmError(err)})`);
  }
  const { info, bytes } = result;
  checkDecodedSize('JPEG 2000', frame, info.width, info.height, info.componentCount);
  // The codestream's own signedness wins: some writers store unsigned J2K data under Pixel
  // Representation 1 and the reverse; the pipeline then reinterprets by Bits Stored.
  return samplesFromBytes(bytes, info.bitsPerSample, Boolean(info.isSigned), frame.rows * frame.columns);
}
