// A film dropped on the page, read in the browser: DICOM (uncompressed 8/16-bit, or JPEG baseline, which
// the browser's own JPEG decoder reads) or a PNG/JPEG picture, as grey values in [0, 1] with
// "bright = dense". A DICOM goes through the model-input contract's display step, the very code the
// server runs (src/data/dicom/pixels.ts: Modality LUT or rescale, VOI LUT, else the first window with
// its function, else min-max; MONOCHROME1 inverted), so the models here eat what they eat there.
import dicomParser from 'dicom-parser';
import { extractMeta, storedBits } from '../../src/data/dicom/meta.js';
import { plainByteSamples, readDisplayParams, renderGray, toStoredValues } from '../../src/data/dicom/pixels.js';

export interface GrayFilm {
  width: number;
  height: number;
  pixels: Float32Array;
}

const JPEG_BASELINE = '1.2.840.10008.1.2.4.50';
const UNCOMPRESSED = ['1.2.840.10008.1.2', '1.2.840.10008.1.2.1'];
const GREY = ['MONOCHROME1', 'MONOCHROME2', ''];

async function decodePicture(blob: Blob): Promise<{ width: number; height: number; grey: Uint8Array }> {
  const bitmap = await createImageBitmap(blob);
  const canvas = new OffscreenCanvas(bitmap.width, bitmap.height);
  const context = canvas.getContext('2d')!;
  context.drawImage(bitmap, 0, 0);
  const rgba = context.getImageData(0, 0, bitmap.width, bitmap.height).data;
  const grey = new Uint8Array(bitmap.width * bitmap.height);
  for (let i = 0; i < grey.length; i++) grey[i] = rgba[4 * i];
  return { width: bitmap.width, height: bitmap.height, grey };
}

function isDicom(bytes: Uint8Array): boolean {
  return bytes.length > 132 && String.fromCharCode(...bytes.subarray(128, 132)) === 'DICM';
}

/** The frame's samples as the file stores them (before Bits Stored, sign and display). */
async function samplesOf(
  data: dicomParser.DataSet,
  syntax: string,
  count: number,
  bitsAllocated: number,
  signed: boolean,
): Promise<Uint8Array | Uint16Array | Int16Array> {
  const element = data.elements.x7fe00010;
  if (syntax === JPEG_BASELINE) {
    const offsets = dicomParser.createJPEGBasicOffsetTable(data, element);
    const frame = dicomParser.readEncapsulatedImageFrame(data, element, 0, offsets);
    return (await decodePicture(new Blob([new Uint8Array(frame)], { type: 'image/jpeg' }))).grey;
  }
  if (!UNCOMPRESSED.includes(syntax))
    throw new Error(`transfer syntax ${syntax} cannot be read in the browser (pneumo's server reads it)`);
  if (bitsAllocated !== 8 && bitsAllocated !== 16) throw new Error(`Bits Allocated ${bitsAllocated} is not 8 or 16`);
  const start = data.byteArray.byteOffset + element.dataOffset;
  const length = count * (bitsAllocated / 8);
  if (element.dataOffset + length > data.byteArray.length) throw new Error('the pixel data is cut short');
  const buffer = data.byteArray.buffer.slice(start, start + length);
  if (bitsAllocated === 8) return new Uint8Array(buffer);
  return signed ? new Int16Array(buffer) : new Uint16Array(buffer);
}

async function readDicom(bytes: Uint8Array): Promise<GrayFilm> {
  const data = dicomParser.parseDicom(bytes);
  const syntax = (data.string('x00020010') ?? '').replace(/\0/g, '').trim();
  const meta = extractMeta(data, syntax);
  const { columns: width, rows: height } = meta;
  if (!data.elements.x7fe00010 || width === 0 || height === 0) throw new Error('the DICOM file has no image');
  if (meta.samplesPerPixel !== 1 || !GREY.includes(meta.photometricInterpretation))
    throw new Error('only single-channel (grey) films can be read');
  const signed = meta.pixelRepresentation === 1;
  const bits = storedBits(meta);
  const samples = await samplesOf(data, syntax, width * height, meta.bitsAllocated, signed);
  const stored =
    plainByteSamples(samples, width, height, bits, signed) ?? toStoredValues(samples, width, height, bits, signed);
  const image = renderGray(stored, readDisplayParams(data, meta.pixelRepresentation, meta.photometricInterpretation));
  return { width, height, pixels: image.pixels };
}

/** The dropped file as a grey film; a one-line error for anything else. */
export async function readFilm(file: File): Promise<GrayFilm> {
  const bytes = new Uint8Array(await file.arrayBuffer());
  if (isDicom(bytes)) return readDicom(bytes);
  if (/^image\/(png|jpeg)$/.test(file.type)) {
    const picture = await decodePicture(file);
    return { width: picture.width, height: picture.height, pixels: Float32Array.from(picture.grey, (v) => v / 255) };
  }
  throw new Error(`${file.name}: not a DICOM, PNG or JPEG file`);
}
