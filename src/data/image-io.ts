// Reading any input image into a GrayImage, whatever its format, and writing one out as PNG.
// The format is recognised by content (magic bytes), not by the file name: SIIM folders hold
// extension-less DICOMs and people rename PNGs. The training loader and the prediction pipeline call
// readImage; these signatures are a contract, keep them stable.
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { GrayImage } from './image.js';
import { decodeDicomBytes, looksLikeDicom, type DicomMeta } from './dicom/index.js';

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
  await sharp(toGray8(image), { raw: { width: image.width, height: image.height, channels: 1 } })
    .toColourspace('b-w')
    .png()
    .toFile(file);
}

/** For each output index along one axis: source indices and weights (area average when shrinking, linear when growing). */
function axisWeights(src: number, dst: number): { index: Int32Array; weight: Float32Array; offsets: Int32Array } {
  const scale = src / dst;
  const index: number[] = [];
  const weight: number[] = [];
  const offsets = new Int32Array(dst + 1);
  for (let o = 0; o < dst; o++) {
    offsets[o] = index.length;
    if (scale >= 1) {
      // The output pixel covers [o*scale, (o+1)*scale) of the source; weight each source pixel by overlap.
      const start = o * scale;
      const end = start + scale;
      for (let s = Math.floor(start); s < Math.min(src, Math.ceil(end)); s++) {
        const overlap = Math.min(end, s + 1) - Math.max(start, s);
        if (overlap > 1e-9) {
          index.push(s);
          weight.push(overlap / scale);
        }
      }
    } else {
      const centre = Math.min(Math.max((o + 0.5) * scale - 0.5, 0), src - 1);
      const s0 = Math.floor(centre);
      const s1 = Math.min(s0 + 1, src - 1);
      const t = centre - s0;
      index.push(s0, s1);
      weight.push(1 - t, t);
    }
  }
  offsets[dst] = index.length;
  return { index: Int32Array.from(index), weight: Float32Array.from(weight), offsets };
}

/** The 2x2 case of boxShrink in one pass (1024 -> 512, the common training size). */
function halve(src: Float32Array, sw: number, width: number, height: number): GrayImage {
  const pixels = new Float32Array(width * height);
  for (let y = 0; y < height; y++) {
    const top = 2 * y * sw;
    const bottom = top + sw;
    const out = y * width;
    for (let x = 0; x < width; x++) {
      const i = 2 * x;
      pixels[out + x] = (src[top + i] + src[top + i + 1] + src[bottom + i] + src[bottom + i + 1]) * 0.25;
    }
  }
  return { width, height, pixels };
}

/** Shrinking by whole factors (1024 -> 512): the mean of each fx x fy block, the same result as the general path, faster. */
function boxShrink(image: GrayImage, fx: number, fy: number): GrayImage {
  const { pixels: src, width: sw } = image;
  const width = sw / fx;
  const height = image.height / fy;
  if (fx === 2 && fy === 2) return halve(src, sw, width, height);
  const pixels = new Float32Array(width * height);
  const scale = 1 / (fx * fy);
  for (let y = 0; y < height; y++) {
    const out = y * width;
    for (let dy = 0; dy < fy; dy++) {
      const row = (y * fy + dy) * sw;
      for (let x = 0; x < width; x++) {
        let sum = 0;
        const start = row + x * fx;
        for (let dx = 0; dx < fx; dx++) sum += src[start + dx];
        pixels[out + x] += sum;
      }
    }
    for (let x = 0; x < width; x++) pixels[out + x] *= scale;
  }
  return { width, height, pixels };
}

/**
 * Resizes to width x height: exact area averaging when shrinking (no aliasing of fine texture, the
 * same as OpenCV's INTER_AREA), bilinear with half-pixel centres when growing.
 */
export function resizeGray(image: GrayImage, width: number, height: number): GrayImage {
  if (!(Number.isInteger(width) && width > 0 && Number.isInteger(height) && height > 0)) {
    throw new RangeError(`Expected positive integer size but received ${width}x${height}`);
  }
  if (width === image.width && height === image.height) return { width, height, pixels: image.pixels.slice() };
  const { pixels: src, width: sw, height: sh } = image;
  if (sw % width === 0 && sh % height === 0) return boxShrink(image, sw / width, sh / height);
  const h = axisWeights(sw, width);
  const v = axisWeights(sh, height);
  const hIndex = h.index;
  const hWeight = h.weight;
  const hOffsets = h.offsets;
  // Horizontal pass into an sh x width buffer, then vertical into height x width.
  const mid = new Float32Array(sh * width);
  for (let y = 0; y < sh; y++) {
    const row = y * sw;
    const out = y * width;
    for (let x = 0; x < width; x++) {
      let sum = 0;
      const end = hOffsets[x + 1];
      for (let k = hOffsets[x]; k < end; k++) sum += src[row + hIndex[k]] * hWeight[k];
      mid[out + x] = sum;
    }
  }
  const pixels = new Float32Array(width * height);
  for (let y = 0; y < height; y++) {
    const out = y * width;
    for (let k = v.offsets[y]; k < v.offsets[y + 1]; k++) {
      const from = v.index[k] * width;
      const w = v.weight[k];
      for (let x = 0; x < width; x++) pixels[out + x] += mid[from + x] * w;
    }
  }
  return { width, height, pixels };
}
