// Reading DICOM files: the header alone (for analysis of thousands of files), the stored pixel
// values (for tests against reference arrays), or the displayable GrayImage (for everything else).
import { open, readFile } from 'node:fs/promises';
import type { DataSet } from 'dicom-parser';
import type { GrayImage } from '../image.js';
import { CodecError, decodeFrame, type EncodedFrame } from './codecs/index.js';
import { DicomError } from './errors.js';
import { extractMeta, storedBits, type DicomMeta } from './meta.js';
import { parseDicomBytes, PIXEL_DATA, reachedPixelData, type ParsedDicom } from './parse.js';
import {
  displayLookup,
  plainByteSamples,
  readDisplayParams,
  renderGray,
  renderGrayShrunk,
  toStoredValues,
  type StoredBytes,
  type StoredPixels,
} from './pixels.js';
import { transferSyntax } from './transfer-syntax.js';

/** How much of a file a header read looks at first; the SIIM headers are about 1 KiB. */
const HEADER_PREFIX_BYTES = 64 * 1024;
const UNDEFINED_LENGTH = 0xffffffff;

export interface DicomPixels {
  meta: DicomMeta;
  stored: StoredPixels;
}

export interface DicomImage extends DicomPixels {
  image: GrayImage;
}

function checkPixelDataFits(parsed: ParsedDicom, file: string, fileSize: number): void {
  const element = parsed.dataSet.elements[PIXEL_DATA];
  if (!element || element.length === UNDEFINED_LENGTH || element.encapsulatedPixelData) return;
  // Offsets of a deflated file are in the inflated bytes, which hold the whole data set.
  const available = parsed.transferSyntaxUid === '1.2.840.10008.1.2.1.99' ? parsed.dataSet.byteArray.length : fileSize;
  if (element.dataOffset + element.length > available) {
    throw new DicomError(
      'truncated',
      file,
      `Pixel Data needs ${element.length} bytes, the file ends ${element.dataOffset + element.length - available} bytes short`,
    );
  }
}

export interface HeaderReadOptions {
  /**
   * Also check that the Pixel Data is there whole (no decoding): a file cut after its header reads
   * as a good header otherwise. Costs a read of the whole file when the pixels are compressed.
   */
  checkPixelData?: boolean;
}

/**
 * Reads the metadata of a DICOM file without decoding (or reading) its pixels: parsing stops at the
 * Pixel Data element, and only the first 64 KiB are read unless the header is longer.
 */
export async function readDicomHeader(file: string, options: HeaderReadOptions = {}): Promise<DicomMeta> {
  const handle = await open(file, 'r');
  let parsed: ParsedDicom;
  let size: number;
  try {
    size = (await handle.stat()).size;
    const prefix = new Uint8Array(Math.min(size, HEADER_PREFIX_BYTES));
    await handle.read(prefix, 0, prefix.length, 0);
    let partial: ParsedDicom | null = null;
    try {
      partial = parseDicomBytes(prefix, file, { untilPixelData: true });
    } catch (err) {
      if (size <= prefix.length || (err instanceof DicomError && err.kind === 'not-dicom')) throw err;
    }
    if (partial && (reachedPixelData(partial) || size <= prefix.length)) {
      parsed = partial;
    } else {
      const whole = new Uint8Array(size);
      await handle.read(whole, 0, size, 0);
      parsed = parseDicomBytes(whole, file, { untilPixelData: true });
    }
  } finally {
    await handle.close();
  }
  checkPixelDataFits(parsed, file, size);
  if (options.checkPixelData) await checkPixelDataPresent(parsed, file);
  return extractMeta(parsed.dataSet, parsed.transferSyntaxUid);
}

/** Throws a `truncated` DicomError when the file ends before or inside an encapsulated Pixel Data. */
async function checkPixelDataPresent(header: ParsedDicom, file: string): Promise<void> {
  const element = header.dataSet.elements[PIXEL_DATA];
  if (!element)
    throw new DicomError('truncated', file, 'the pixel data is missing: the file ends before the Pixel Data element');
  if (!element.encapsulatedPixelData && element.length !== UNDEFINED_LENGTH) return; // checked by checkPixelDataFits
  try {
    parseDicomBytes(new Uint8Array(await readFile(file)), file);
  } catch (err) {
    if (err instanceof DicomError && err.kind === 'truncated')
      throw new DicomError('truncated', file, 'the pixel data is cut short: the file ends inside the Pixel Data');
    throw err;
  }
}

function checkDecodable(meta: DicomMeta, file: string): void {
  const photometric = meta.photometricInterpretation;
  if (
    meta.samplesPerPixel !== 1 ||
    (photometric !== 'MONOCHROME1' && photometric !== 'MONOCHROME2' && photometric !== '')
  ) {
    throw new DicomError(
      'colour',
      file,
      `colour image (${photometric || '?'}, ${meta.samplesPerPixel} samples per pixel) where grayscale is needed`,
    );
  }
  if (meta.numberOfFrames > 1)
    throw new DicomError(
      'multi-frame',
      file,
      `multi-frame image (${meta.numberOfFrames} frames) where one frame is needed`,
    );
  if (!transferSyntax(meta.transferSyntaxUid)) {
    throw new DicomError(
      'unsupported-transfer-syntax',
      file,
      `transfer syntax ${meta.transferSyntaxName} (${meta.transferSyntaxUid}) is not supported`,
    );
  }
  if (meta.rows === 0 || meta.columns === 0)
    throw new DicomError('corrupt', file, 'Rows or Columns is missing or zero');
  if (![8, 16, 32].includes(meta.bitsAllocated))
    throw new DicomError('corrupt', file, `Bits Allocated ${meta.bitsAllocated} is not 8, 16 or 32`);
}

function encodedFrame(dataSet: DataSet, meta: DicomMeta, file: string, bigEndian: boolean): EncodedFrame {
  const element = dataSet.elements[PIXEL_DATA];
  if (!element) throw new DicomError('corrupt', file, 'no Pixel Data element');
  const bitsStored = storedBits(meta);
  const common = {
    rows: meta.rows,
    columns: meta.columns,
    bitsAllocated: meta.bitsAllocated,
    bitsStored,
    pixelRepresentation: meta.pixelRepresentation,
    bigEndian,
  };
  const native = transferSyntax(meta.transferSyntaxUid)!.encoding === 'native';
  if (native) {
    if (element.encapsulatedPixelData || element.length === UNDEFINED_LENGTH) {
      throw new DicomError('corrupt', file, 'encapsulated Pixel Data under an uncompressed transfer syntax');
    }
    const end = element.dataOffset + element.length;
    if (end > dataSet.byteArray.length) {
      throw new DicomError(
        'truncated',
        file,
        `Pixel Data needs ${element.length} bytes, the file ends ${end - dataSet.byteArray.length} bytes short`,
      );
    }
    return { ...common, bytes: dataSet.byteArray.subarray(element.dataOffset, end) };
  }
  const fragments = element.fragments;
  if (!element.encapsulatedPixelData || !fragments || fragments.length === 0) {
    throw new DicomError(
      'corrupt',
      file,
      'compressed transfer syntax but the Pixel Data is not encapsulated in fragments',
    );
  }
  const total = fragments.reduce((sum, f) => sum + f.length, 0);
  const bytes = new Uint8Array(total);
  let at = 0;
  for (const f of fragments) {
    if (f.position + f.length > dataSet.byteArray.length)
      throw new DicomError('truncated', file, 'a Pixel Data fragment runs past the end of the file');
    bytes.set(dataSet.byteArray.subarray(f.position, f.position + f.length), at);
    at += f.length;
  }
  return { ...common, bytes };
}

interface DecodedDicom {
  meta: DicomMeta;
  dataSet: DataSet;
  /** The stored values, made on first use: display needs no Int32 copy of 8-bit data. */
  stored(): StoredPixels;
  /** What the display pipeline reads: the 8-bit samples themselves when they need no masking or sign. */
  displayInput(): StoredPixels | StoredBytes;
}

async function decodeParsed(parsed: ParsedDicom, file: string): Promise<DecodedDicom> {
  const meta = extractMeta(parsed.dataSet, parsed.transferSyntaxUid);
  checkDecodable(meta, file);
  const syntax = transferSyntax(meta.transferSyntaxUid)!;
  const frame = encodedFrame(parsed.dataSet, meta, file, syntax.bigEndian);
  let samples;
  try {
    samples = await decodeFrame(syntax.encoding, frame);
  } catch (err) {
    if (err instanceof CodecError) throw new DicomError(err.truncated ? 'truncated' : 'corrupt', file, err.message);
    throw new DicomError(
      'corrupt',
      file,
      `pixel data does not decode (${err instanceof Error ? err.message : String(err)})`,
    );
  }
  let stored: StoredPixels | null = null;
  const storedValues = () =>
    (stored ??= toStoredValues(samples, meta.columns, meta.rows, frame.bitsStored, meta.pixelRepresentation === 1));
  const plainBytes = plainByteSamples(
    samples,
    meta.columns,
    meta.rows,
    frame.bitsStored,
    meta.pixelRepresentation === 1,
  );
  return {
    meta,
    dataSet: parsed.dataSet,
    stored: storedValues,
    displayInput: () => plainBytes ?? storedValues(),
  };
}

/** Decodes DICOM bytes held in memory; `file` names them in errors. */
export async function decodeDicomBytes(bytes: Uint8Array, file: string): Promise<DicomImage> {
  const decoded = await decodeParsed(parseDicomBytes(bytes, file), file);
  const { meta, dataSet } = decoded;
  const image = renderGray(
    decoded.displayInput(),
    readDisplayParams(dataSet, meta.pixelRepresentation, meta.photometricInterpretation),
  );
  return {
    meta,
    image,
    get stored() {
      return decoded.stored();
    },
  };
}

/**
 * Decodes DICOM bytes for use at width x height. When the sizes divide evenly and the samples are
 * plain bytes (SIIM's 8-bit JPEGs), the image comes area-shrunk to that size without the full-size
 * float image in between (`shrunk`: true; the pixels of decodeDicomBytes then resizePlane's area
 * method, to the bit); otherwise it comes at full size for the caller to resize. `meta` has the source size.
 */
export async function decodeDicomBytesForSize(
  bytes: Uint8Array,
  file: string,
  width: number,
  height: number,
): Promise<{ image: GrayImage; meta: DicomMeta; shrunk: boolean }> {
  const decoded = await decodeParsed(parseDicomBytes(bytes, file), file);
  const { meta, dataSet } = decoded;
  const input = decoded.displayInput();
  const params = readDisplayParams(dataSet, meta.pixelRepresentation, meta.photometricInterpretation);
  const shrinkable =
    input.data instanceof Uint8Array &&
    !params.modalityLut &&
    width <= input.width &&
    height <= input.height &&
    input.width % width === 0 &&
    input.height % height === 0;
  if (!shrinkable) return { image: renderGray(input, params), meta, shrunk: false };
  const image = renderGrayShrunk(input as StoredBytes, params, input.width / width, input.height / height);
  return { image, meta, shrunk: true };
}

/** A plain Uint8Array over a file's bytes: Buffer's slice() shares memory, which the codecs must not meet. */
async function readBytes(file: string): Promise<Uint8Array> {
  const buffer = await readFile(file);
  return new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.length);
}

/** The stored pixel values (after Bits Stored and sign, before any rescale or windowing) and the metadata. */
export async function readDicomStoredPixels(file: string): Promise<DicomPixels> {
  const decoded = await decodeParsed(parseDicomBytes(await readBytes(file), file), file);
  return { meta: decoded.meta, stored: decoded.stored() };
}

/**
 * The display step of the model-input contract as a table over the file's stored values
 * (pixels.ts, displayLookup): what a viewer needs to show exactly the grey the model's input was
 * made from. Null where the stored range is too wide for a table.
 */
export async function readDicomDisplayLookup(file: string): Promise<{ first: number; values: Float32Array } | null> {
  const decoded = await decodeParsed(parseDicomBytes(await readBytes(file), file), file);
  const { meta, dataSet } = decoded;
  return displayLookup(
    decoded.displayInput(),
    readDisplayParams(dataSet, meta.pixelRepresentation, meta.photometricInterpretation),
  );
}

/** The displayable image ("bright = dense", [0, 1]), the stored values and the metadata. */
export async function readDicom(file: string): Promise<DicomImage> {
  return decodeDicomBytes(await readBytes(file), file);
}
