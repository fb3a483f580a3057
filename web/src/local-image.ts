// A film dropped on the page, read in the browser: DICOM (uncompressed 8/16-bit, or JPEG baseline, which
// the browser's own JPEG decoder reads) or a PNG/JPEG picture, as grey values in [0, 1] with
// "bright = dense", the way pneumo's reader makes them (docs/deploy.md, "The input contract"):
// Rescale Slope/Intercept, then the first window if the file has one, else the image's own range;
// MONOCHROME1 inverted. Modality and VOI LUTs are not read here (pneumo's server reader does).
import dicomParser from 'dicom-parser';

export interface GrayFilm {
  width: number;
  height: number;
  pixels: Float32Array;
}

const JPEG_BASELINE = '1.2.840.10008.1.2.4.50';
const UNCOMPRESSED = ['1.2.840.10008.1.2', '1.2.840.10008.1.2.1'];

async function decodePicture(blob: Blob): Promise<{ width: number; height: number; grey: Uint8ClampedArray }> {
  const bitmap = await createImageBitmap(blob);
  const canvas = new OffscreenCanvas(bitmap.width, bitmap.height);
  const context = canvas.getContext('2d')!;
  context.drawImage(bitmap, 0, 0);
  const rgba = context.getImageData(0, 0, bitmap.width, bitmap.height).data;
  const grey = new Uint8ClampedArray(bitmap.width * bitmap.height);
  for (let i = 0; i < grey.length; i++) grey[i] = rgba[4 * i];
  return { width: bitmap.width, height: bitmap.height, grey };
}

function isDicom(bytes: Uint8Array): boolean {
  return bytes.length > 132 && String.fromCharCode(...bytes.subarray(128, 132)) === 'DICM';
}

/** Stored values to [0, 1] as pneumo's reader does for files without LUTs. */
function display(stored: ArrayLike<number>, data: dicomParser.DataSet): Float32Array {
  const slope = data.floatString('x00281053') ?? 1;
  const intercept = data.floatString('x00281052') ?? 0;
  const center = data.floatString('x00281050');
  const width = data.floatString('x00281051');
  const out = new Float32Array(stored.length);
  let lo = Infinity;
  let hi = -Infinity;
  for (let i = 0; i < stored.length; i++) {
    const m = stored[i] * slope + intercept;
    out[i] = m;
    if (m < lo) lo = m;
    if (m > hi) hi = m;
  }
  if (center !== undefined && width !== undefined && width >= 1) {
    // DICOM PS3.3 C.11.2.1.2, LINEAR.
    for (let i = 0; i < out.length; i++) {
      const x = out[i];
      out[i] =
        x <= center - 0.5 - (width - 1) / 2
          ? 0
          : x > center - 0.5 + (width - 1) / 2
            ? 1
            : (x - (center - 0.5)) / (width - 1) + 0.5;
    }
  } else {
    const span = hi - lo;
    for (let i = 0; i < out.length; i++) out[i] = span > 0 ? (out[i] - lo) / span : 0;
  }
  if ((data.string('x00280004') ?? '').trim() === 'MONOCHROME1')
    for (let i = 0; i < out.length; i++) out[i] = 1 - out[i];
  return out;
}

async function readDicom(bytes: Uint8Array): Promise<GrayFilm> {
  const data = dicomParser.parseDicom(bytes);
  const width = data.uint16('x00280011') ?? 0;
  const height = data.uint16('x00280010') ?? 0;
  const bits = data.uint16('x00280100') ?? 8;
  const signed = data.uint16('x00280103') === 1;
  const syntax = (data.string('x00020010') ?? '').replace(/\0/g, '').trim();
  const element = data.elements.x7fe00010;
  if (!element || width === 0 || height === 0) throw new Error('the DICOM file has no image');
  if ((data.uint16('x00280002') ?? 1) !== 1) throw new Error('only single-channel (grey) films can be read');
  let stored: ArrayLike<number>;
  if (syntax === JPEG_BASELINE) {
    const frame = dicomParser.readEncapsulatedImageFrame(
      data,
      element,
      0,
      dicomParser.createJPEGBasicOffsetTable(data, element),
    );
    const picture = await decodePicture(new Blob([new Uint8Array(frame)], { type: 'image/jpeg' }));
    stored = picture.grey;
  } else if (UNCOMPRESSED.includes(syntax)) {
    const start = data.byteArray.byteOffset + element.dataOffset;
    const buffer = data.byteArray.buffer.slice(start, start + width * height * (bits > 8 ? 2 : 1));
    stored = bits > 8 ? (signed ? new Int16Array(buffer) : new Uint16Array(buffer)) : new Uint8Array(buffer);
  } else throw new Error(`transfer syntax ${syntax} cannot be read in the browser (pneumo's server reads it)`);
  return { width, height, pixels: display(stored, data) };
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
