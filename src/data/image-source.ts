// The one place the loader gets pixels from. Until `readImage` of src/data/image-io.ts (DICOM, PNG,
// JPEG; branch `dicom`) is on main, this reads PNG and JPEG through sharp; then this file re-exports
// that function and nothing else changes.
import sharp from 'sharp';
import type { GrayImage } from './image.js';

// libvips caches decoded files by name; a file rewritten in place would come back stale.
sharp.cache(false);

export class ImageReadError extends Error {
  override name = 'ImageReadError';
  constructor(
    readonly file: string,
    reason: string,
  ) {
    super(`${file}: ${reason}`);
  }
}

export async function readImage(path: string): Promise<GrayImage> {
  let decoded: { data: Buffer; info: sharp.OutputInfo };
  try {
    // Raw pixels as stored; converting to grey in libvips costs more than the decode itself.
    decoded = await sharp(path).raw().toBuffer({ resolveWithObject: true });
  } catch (err) {
    throw new ImageReadError(path, (err as Error).message);
  }
  const { data, info } = decoded;
  const { width, height, channels } = info;
  const pixels = new Float32Array(width * height);
  if (channels < 3) {
    for (let i = 0; i < pixels.length; i++) pixels[i] = data[i * channels] / 255;
  } else {
    // Colour input: Rec. 601 luma, as libvips' grey conversion.
    for (let i = 0; i < pixels.length; i++) {
      const o = i * channels;
      pixels[i] = (0.299 * data[o] + 0.587 * data[o + 1] + 0.114 * data[o + 2]) / 255;
    }
  }
  return { width, height, pixels };
}
