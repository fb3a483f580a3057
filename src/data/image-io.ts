// Reading any input image into a GrayImage, whatever its format, and writing one out as PNG.
// The format is recognised by content (magic bytes), not by the file name: SIIM folders hold
// extension-less DICOMs and people rename PNGs. The training loader and the prediction pipeline call
// readImage; these signatures are a contract, keep them stable.
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { resizeImage, type ResizeMethod } from './transforms/resize.js';
import type { GrayImage } from './image.js';
import { decodeDicomBytes, decodeDicomBytesForSize, looksLikeDicom, type DicomMeta } from './dicom/index.js';

export class ImageReadError extends Error {
  override name = 'ImageReadError';
  constructor(
    readonly file: string,
    reason: string,
  ) {
    super(`${path.basename(file)}: ${reason}`);
  }
}

export type ImageFormat = 'dicom' | 'png' | 'jpeg';

/** The format of an image file from its first bytes, or null when it is none pneumo reads. */
export function sniffImageFormat(bytes: Uint8Array): ImageFormat | null {
  if (bytes.length >= 8 && bytes[0] === 0x89 && bytes[1] === 0x50 && bytes[2] === 0x4e && bytes[3] === 0x47)
    return 'png';
  if (bytes.length >= 3 && bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff) return 'jpeg';
  if (looksLikeDicom(bytes)) return 'dicom';
  return null;
}

async function decodeRaster(bytes: Uint8Array, file: string): Promise<GrayImage> {
  const { default: sharp } = await import('sharp');
  try {
    const input = sharp(bytes);
    const { depth } = await input.metadata();
    const sixteen = depth === 'ushort';
    const { data, info } = await input
      .removeAlpha()
      .toColourspace(sixteen ? 'grey16' : 'b-w')
      .raw(sixteen ? { depth: 'ushort' } : {})
      .toBuffer({ resolveWithObject: true });
    const count = info.width * info.height;
    if (info.channels !== 1 || data.length < count * (sixteen ? 2 : 1)) {
      throw new Error(`unexpected decoded layout (${info.channels} channels, ${data.length} bytes)`);
    }
    const pixels = new Float32Array(count);
    if (sixteen) {
      const values = new Uint16Array(data.buffer.slice(data.byteOffset, data.byteOffset + count * 2));
      for (let i = 0; i < count; i++) pixels[i] = values[i] / 65535;
    } else {
      for (let i = 0; i < count; i++) pixels[i] = data[i] / 255;
    }
    return { width: info.width, height: info.height, pixels };
  } catch (err) {
    throw new ImageReadError(file, `image does not decode (${(err as Error).message})`);
  }
}

/**
 * Reads a DICOM, PNG or JPEG file as a GrayImage in [0, 1], "bright = dense". DICOM goes through
 * the full pixel pipeline (rescale, VOI, MONOCHROME1 inversion); PNG and JPEG are taken as already
 * displayable and converted to grayscale (8-bit / 255, 16-bit / 65535). Throws DicomError or
 * ImageReadError naming the file.
 */
export async function readImage(file: string): Promise<GrayImage> {
  return (await readImageWithMeta(file)).image;
}

/** As readImage, with the DICOM metadata (null for PNG and JPEG). */
export async function readImageWithMeta(file: string): Promise<{ image: GrayImage; meta: DicomMeta | null }> {
  const buffer = await readFile(file);
  const bytes = new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.length);
  const format = sniffImageFormat(bytes);
  if (format === 'dicom') {
    const { image, meta } = await decodeDicomBytes(bytes, file);
    return { image, meta };
  }
  if (format === 'png' || format === 'jpeg') return { image: await decodeRaster(bytes, file), meta: null };
  throw new ImageReadError(file, 'not a DICOM, PNG or JPEG file');
}

/**
 * readImage followed by resizePlane to width x height with `method`, and the source size (which the
 * labels' RLE refers to). 8-bit DICOMs shrunk by whole factors with the area method skip the
 * full-size float image; the pixels are the same either way, to the bit.
 */
export async function readImageResized(
  file: string,
  width: number,
  height: number,
  method: ResizeMethod = 'area',
): Promise<{ image: GrayImage; sourceWidth: number; sourceHeight: number }> {
  const buffer = await readFile(file);
  const bytes = new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.length);
  const format = sniffImageFormat(bytes);
  if (format === 'dicom') {
    const decoded =
      method === 'area'
        ? await decodeDicomBytesForSize(bytes, file, width, height)
        : { ...(await decodeDicomBytes(bytes, file)), shrunk: false };
    const image = decoded.shrunk ? decoded.image : resizeImage(decoded.image, width, height, method);
    return { image, sourceWidth: decoded.meta.columns, sourceHeight: decoded.meta.rows };
  }
  if (format !== 'png' && format !== 'jpeg') throw new ImageReadError(file, 'not a DICOM, PNG or JPEG file');
  const full = await decodeRaster(bytes, file);
  return { image: resizeImage(full, width, height, method), sourceWidth: full.width, sourceHeight: full.height };
}

/** 8-bit grayscale bytes of an image: [0, 1] -> 0..255, clamped and rounded. */
export function toGray8(image: GrayImage): Uint8Array {
  const out = new Uint8Array(image.pixels.length);
  for (let i = 0; i < out.length; i++) {
    const v = image.pixels[i];
    out[i] = v <= 0 ? 0 : v >= 1 ? 255 : Math.round(v * 255);
  }
  return out;
}

/** Writes an 8-bit grayscale PNG. */
export async function writeGrayPng(image: GrayImage, file: string): Promise<void> {
  const { default: sharp } = await import('sharp');
  // Encoded in memory and written by Node: a bad output path is then one file-system error naming it,
  // not libvips' stack of write-error lines.
  const png = await sharp(toGray8(image), { raw: { width: image.width, height: image.height, channels: 1 } })
    .toColourspace('b-w')
    .png()
    .toBuffer();
  await writeFile(file, png);
}

/**
 * Resizes to width x height: exact area averaging when shrinking (no aliasing of fine texture, the
 * same as OpenCV's INTER_AREA), bilinear with half-pixel centres when growing.
 */
export function resizeGray(image: GrayImage, width: number, height: number): GrayImage {
  return resizeImage(image, width, height, 'area');
}
