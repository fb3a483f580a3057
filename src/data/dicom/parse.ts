// Turns the bytes of a DICOM file into a dicom-parser DataSet. Handles Part 10 files (preamble,
// "DICM", file meta), bare data sets without preamble or meta (old ACR-NEMA style files such as
// CR-MONO1-10-chest), and the deflated transfer syntax; maps every failure onto a DicomError.
import { inflateRawSync } from 'node:zlib';
import dicomParser, { type DataSet } from 'dicom-parser';
import { DicomError, thrownText } from './errors.js';
import { IMPLICIT_VR_LITTLE_ENDIAN } from './transfer-syntax.js';

export const PIXEL_DATA = 'x7fe00010';
const EXPLICIT_VR_LITTLE_ENDIAN = '1.2.840.10008.1.2.1';

export interface ParsedDicom {
  dataSet: DataSet;
  transferSyntaxUid: string;
  /** False for a bare data set without the "DICM" preamble and file meta. */
  hasFileMeta: boolean;
}

export interface ParseOptions {
  /** Stop at the Pixel Data element: its offset and length are known, its value is not read. */
  untilPixelData?: boolean;
}

const VRS = new Set(
  'AE AS AT CS DA DS DT FL FD IS LO LT OB OD OF OL OV OW PN SH SL SQ SS ST SV TM UC UI UL UN UR US UT UV'.split(' '),
);

function hasPreamble(bytes: Uint8Array): boolean {
  return (
    bytes.length >= 132 && bytes[128] === 0x44 && bytes[129] === 0x49 && bytes[130] === 0x43 && bytes[131] === 0x4d
  );
}

/**
 * A bare data set starts with a little-endian tag of group 0x0002..0x0008 (identifying and meta
 * groups); whether two upper-case letters follow tells explicit from implicit VR. Anything else is
 * not DICOM.
 */
function bareDataSetSyntax(bytes: Uint8Array): string | null {
  if (bytes.length < 8) return null;
  const group = bytes[0] | (bytes[1] << 8);
  if (group < 0x0002 || group > 0x0008) return null;
  const vr = String.fromCharCode(bytes[4], bytes[5]);
  return VRS.has(vr) ? EXPLICIT_VR_LITTLE_ENDIAN : IMPLICIT_VR_LITTLE_ENDIAN;
}

function inflate(file: string) {
  return (bytes: Uint8Array, position: number): Uint8Array => {
    let inflated: Buffer;
    try {
      inflated = inflateRawSync(bytes.subarray(position));
    } catch (err) {
      const truncated = /unexpected end/i.test(thrownText(err));
      throw new DicomError(
        truncated ? 'truncated' : 'corrupt',
        file,
        `deflated data set does not inflate (${thrownText(err)})`,
      );
    }
    const full = new Uint8Array(position + inflated.length);
    full.set(bytes.subarray(0, position), 0);
    full.set(inflated, position);
    return full;
  };
}

function isTruncationMessage(text: string): boolean {
  return /overrun|overread|beyond|end of (buffer|file)|eof|outside the bounds|out of range/i.test(text);
}

/** True when the bytes start like a DICOM file: a Part 10 preamble or a bare data set. */
export function looksLikeDicom(bytes: Uint8Array): boolean {
  return hasPreamble(bytes) || bareDataSetSyntax(bytes) !== null;
}

/** Parses `bytes` (the whole file, or a prefix of it when `untilPixelData` is set and the caller retries on failure). */
export function parseDicomBytes(bytes: Uint8Array, file: string, options: ParseOptions = {}): ParsedDicom {
  const hasFileMeta = hasPreamble(bytes);
  const bareSyntax = hasFileMeta ? null : bareDataSetSyntax(bytes);
  if (!hasFileMeta && !bareSyntax) {
    throw new DicomError('not-dicom', file, 'not a DICOM file (no "DICM" at byte 128 and no data set at byte 0)');
  }
  let dataSet: DataSet;
  try {
    dataSet = dicomParser.parseDicom(bytes, {
      ...(bareSyntax ? { TransferSyntaxUID: bareSyntax } : {}),
      ...(options.untilPixelData ? { untilTag: PIXEL_DATA } : {}),
      inflater: inflate(file) as unknown as (arr: Uint8Array, position: number) => void,
    });
  } catch (err) {
    if (err instanceof DicomError) throw err;
    const inner =
      err && typeof err === 'object' && 'exception' in err ? (err as { exception: unknown }).exception : err;
    if (inner instanceof DicomError) throw inner;
    const text = thrownText(err);
    if (/missing required meta header attribute 0002,0010/.test(text)) {
      throw new DicomError('corrupt', file, 'file meta has no Transfer Syntax UID (0002,0010)');
    }
    throw new DicomError(
      isTruncationMessage(text) ? 'truncated' : 'corrupt',
      file,
      `cannot parse the data set (${text})`,
    );
  }
  const transferSyntaxUid = (dataSet.string('x00020010') ?? bareSyntax ?? '').replace(/\0/g, '').trim();
  return { dataSet, transferSyntaxUid, hasFileMeta };
}

/** True when the parse of a file prefix reached the Pixel Data element, so nothing before it was cut. */
export function reachedPixelData(parsed: ParsedDicom): boolean {
  return parsed.dataSet.elements[PIXEL_DATA] !== undefined;
}
