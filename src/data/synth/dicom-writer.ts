// A small DICOM Part 10 writer, explicit VR little endian only: the 128-byte preamble, "DICM", the
// file meta group (with its group length), then the data set, elements in ascending tag order.
// Pixel data is either native (OB) or encapsulated (undefined length, an empty basic offset table,
// one fragment per frame, sequence delimiter), which is all the synthetic SIIM files need.

export type DicomVr = 'AS' | 'CS' | 'DA' | 'DS' | 'IS' | 'LO' | 'OB' | 'PN' | 'SH' | 'TM' | 'UI' | 'UL' | 'US';

export interface DicomElement {
  /** (group << 16) | element, e.g. 0x00100040 for PatientSex. */
  tag: number;
  vr: DicomVr;
  /** Text for string VRs (several values joined with a backslash), numbers for US/UL, bytes for OB. */
  value: string | number | readonly number[] | Uint8Array;
}

export interface EncapsulatedPixelData {
  tag: 0x7fe00010;
  encapsulated: true;
  fragments: Uint8Array[];
}

export class DicomWriteError extends Error {
  override name = 'DicomWriteError';
}

const LONG_LENGTH_VRS = new Set<DicomVr>(['OB']);
const TEXT_VRS = new Set<DicomVr>(['AS', 'CS', 'DA', 'DS', 'IS', 'LO', 'PN', 'SH', 'TM', 'UI']);
/** Longest value each text VR allows (per value), from PS3.5 table 6.2-1. */
const MAX_TEXT_LENGTH: Partial<Record<DicomVr, number>> = {
  AS: 4,
  CS: 16,
  DA: 8,
  DS: 16,
  IS: 12,
  LO: 64,
  PN: 64,
  SH: 16,
  TM: 16,
  UI: 64,
};

export const EXPLICIT_VR_LITTLE_ENDIAN = '1.2.840.10008.1.2.1';
export const JPEG_BASELINE = '1.2.840.10008.1.2.4.50';

function tagName(tag: number): string {
  const hex = (n: number) => n.toString(16).toUpperCase().padStart(4, '0');
  return `(${hex(tag >>> 16)},${hex(tag & 0xffff)})`;
}

function valueBytes(element: DicomElement): Uint8Array {
  const { vr, value, tag } = element;
  if (TEXT_VRS.has(vr)) {
    if (typeof value !== 'string') throw new DicomWriteError(`${tagName(tag)} ${vr}: expected a string value`);
    const max = MAX_TEXT_LENGTH[vr] ?? 64;
    for (const part of value.split('\\')) {
      if (part.length > max)
        throw new DicomWriteError(`${tagName(tag)} ${vr}: "${part}" is longer than ${max} characters`);
    }
    const text = Buffer.from(value, 'latin1');
    if (text.length % 2 === 0) return text;
    // UIDs pad with NUL, every other text VR with a space.
    return Buffer.concat([text, Buffer.from([vr === 'UI' ? 0 : 0x20])]);
  }
  if (vr === 'US' || vr === 'UL') {
    const numbers = typeof value === 'number' ? [value] : Array.isArray(value) ? (value as readonly number[]) : null;
    if (!numbers) throw new DicomWriteError(`${tagName(tag)} ${vr}: expected a number`);
    const width = vr === 'US' ? 2 : 4;
    const out = Buffer.alloc(numbers.length * width);
    numbers.forEach((n, i) => (width === 2 ? out.writeUInt16LE(n, i * 2) : out.writeUInt32LE(n, i * 4)));
    return out;
  }
  if (!(value instanceof Uint8Array)) throw new DicomWriteError(`${tagName(tag)} ${vr}: expected bytes`);
  return value.length % 2 === 0 ? value : Buffer.concat([value, Buffer.from([0])]);
}

function header(tag: number, vr: DicomVr, length: number): Buffer {
  const long = LONG_LENGTH_VRS.has(vr);
  const out = Buffer.alloc(long ? 12 : 8);
  out.writeUInt16LE(tag >>> 16, 0);
  out.writeUInt16LE(tag & 0xffff, 2);
  out.write(vr, 4, 'latin1');
  if (long) out.writeUInt32LE(length, 8);
  else {
    if (length > 0xffff) throw new DicomWriteError(`${tagName(tag)} ${vr}: value of ${length} bytes is too long`);
    out.writeUInt16LE(length, 6);
  }
  return out;
}

function encodeElement(element: DicomElement): Buffer {
  const bytes = valueBytes(element);
  return Buffer.concat([header(element.tag, element.vr, bytes.length), bytes]);
}

function item(tag: number, bytes: Uint8Array): Buffer {
  const out = Buffer.alloc(8);
  out.writeUInt16LE(tag >>> 16, 0);
  out.writeUInt16LE(tag & 0xffff, 2);
  out.writeUInt32LE(bytes.length, 4);
  return Buffer.concat([out, bytes]);
}

function encodeEncapsulated(pixels: EncapsulatedPixelData): Buffer {
  const start = Buffer.alloc(12);
  start.writeUInt16LE(0x7fe0, 0);
  start.writeUInt16LE(0x0010, 2);
  start.write('OB', 4, 'latin1');
  start.writeUInt32LE(0xffffffff, 8);
  const fragments = pixels.fragments.map((f) =>
    item(0xfffee000, f.length % 2 === 0 ? f : Buffer.concat([f, Buffer.from([0])])),
  );
  return Buffer.concat([start, item(0xfffee000, new Uint8Array(0)), ...fragments, item(0xfffee0dd, new Uint8Array(0))]);
}

function checkOrder(elements: readonly { tag: number }[]): void {
  for (let i = 1; i < elements.length; i++) {
    if (elements[i].tag >>> 0 <= elements[i - 1].tag >>> 0)
      throw new DicomWriteError(`element ${tagName(elements[i].tag)} is out of order or repeated`);
  }
}

export interface FileMeta {
  mediaStorageSopClassUid: string;
  mediaStorageSopInstanceUid: string;
  transferSyntaxUid: string;
  implementationClassUid: string;
  implementationVersionName: string;
}

/** The whole Part 10 file. `elements` must not include group 0002 and must be in ascending tag order. */
export function writeDicomFile(
  meta: FileMeta,
  elements: readonly (DicomElement | EncapsulatedPixelData)[],
): Uint8Array {
  checkOrder(elements);
  if (elements.some((e) => e.tag >>> 16 === 0x0002))
    throw new DicomWriteError('file meta elements (group 0002) are written from `meta`, not from the data set');
  const metaBody = Buffer.concat(
    [
      { tag: 0x00020001, vr: 'OB', value: new Uint8Array([0, 1]) },
      { tag: 0x00020002, vr: 'UI', value: meta.mediaStorageSopClassUid },
      { tag: 0x00020003, vr: 'UI', value: meta.mediaStorageSopInstanceUid },
      { tag: 0x00020010, vr: 'UI', value: meta.transferSyntaxUid },
      { tag: 0x00020012, vr: 'UI', value: meta.implementationClassUid },
      { tag: 0x00020013, vr: 'SH', value: meta.implementationVersionName },
    ].map((e) => encodeElement(e as DicomElement)),
  );
  const groupLength = encodeElement({ tag: 0x00020000, vr: 'UL', value: metaBody.length });
  const preamble = Buffer.alloc(132);
  preamble.write('DICM', 128, 'latin1');
  const body = elements.map((e) => ('encapsulated' in e ? encodeEncapsulated(e) : encodeElement(e)));
  return Buffer.concat([preamble, groupLength, metaBody, ...body]);
}
