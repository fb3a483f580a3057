// JPEG baseline and extended. 8-bit grayscale streams go through the pneumo_jpeg addon (libjpeg-turbo):
// the SIIM data is all 8-bit baseline, so this is the path that matters for speed. Other 8-bit streams
// (colour, which sharp converts to grey) and any the addon rejects go through sharp; 12-bit streams,
// and 8-bit ones libjpeg-turbo rejects, go through our own sequential DCT decoder.
import sharp from 'sharp';
import { checkDecodedSize, CodecError, type DecodedSamples, type EncodedFrame } from './frame.js';
import { decodeJpegDct } from './jpeg-dct.js';
import { nativeJpegDecoder } from './jpeg-native.js';

/** Sample precision from the SOF0/SOF1 header, or 0 when there is none. */
function jpegPrecision(bytes: Uint8Array): number {
  for (let pos = 2; pos + 4 < bytes.length;) {
    if (bytes[pos] !== 0xff) return 0;
    const marker = bytes[pos + 1];
    if (marker === 0xc0 || marker === 0xc1) return bytes[pos + 4];
    if (marker === 0xda) return 0;
    pos += 2 + ((bytes[pos + 2] << 8) | bytes[pos + 3]);
  }
  return 0;
}

function decodeOwn(frame: EncodedFrame): DecodedSamples {
  const image = decodeJpegDct(frame.bytes);
  checkDecodedSize('JPEG', frame, image.width, image.height);
  return image.samples;
}

export async function decodeJpegBaseline(frame: EncodedFrame): Promise<DecodedSamples> {
  if (jpegPrecision(frame.bytes) !== 8) return decodeOwn(frame);
  const native = nativeJpegDecoder();
  if (native) {
    let pixels: Uint8Array | null = null;
    try {
      const decoded = native.decodeGray8(frame.bytes);
      if (decoded.pixels) checkDecodedSize('JPEG', frame, decoded.width, decoded.height);
      pixels = decoded.pixels;
    } catch {
      // Rejected or damaged: sharp and then our own decoder try it and name what is wrong.
    }
    if (pixels) return pixels;
  }
  let decoded: { data: Buffer; info: sharp.OutputInfo };
  try {
    decoded = await sharp(frame.bytes).toColourspace('b-w').raw().toBuffer({ resolveWithObject: true });
  } catch (err) {
    try {
      return decodeOwn(frame);
    } catch (own) {
      const why = own instanceof CodecError ? own.message : String(own);
      throw new CodecError(
        `JPEG stream does not decode (libjpeg-turbo: ${(err as Error).message}; fallback: ${why})`,
        own instanceof CodecError && own.truncated,
      );
    }
  }
  checkDecodedSize('JPEG', frame, decoded.info.width, decoded.info.height, decoded.info.channels);
  return new Uint8Array(decoded.data.buffer, decoded.data.byteOffset, decoded.data.length);
}
