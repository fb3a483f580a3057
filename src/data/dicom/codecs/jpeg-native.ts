// The pneumo_jpeg addon (native/jpeg/decode.cc): 8-bit grayscale JPEG through the system libjpeg-turbo,
// about twice as fast as the same decode through sharp's libvips pipeline, to the same samples. It is
// built with the torch addon; where it is missing the caller decodes through sharp instead.
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { addonFile } from '../../../project-paths.js';

export interface NativeJpegResult {
  width: number;
  height: number;
  components: number;
  precision: number;
  /** The samples, row-major; null when the stream is not single-component 8-bit (nothing decoded). */
  pixels: Uint8Array | null;
}

export interface NativeJpegDecoder {
  /** Throws with libjpeg's message for a stream it rejects, or warns about (corrupt data). */
  decodeGray8(bytes: Uint8Array): NativeJpegResult;
}

let decoder: NativeJpegDecoder | null | undefined;

/** The addon, loaded on first use (per worker thread); null when it was not built. */
export function nativeJpegDecoder(): NativeJpegDecoder | null {
  if (decoder === undefined) {
    const file = addonFile('pneumo_jpeg');
    decoder = existsSync(file) ? (createRequire(import.meta.url)(file) as NativeJpegDecoder) : null;
  }
  return decoder;
}
