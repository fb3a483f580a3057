// The metadata that analysis and the pipeline need, read from a parsed data set.
import type { DataSet } from 'dicom-parser';
import { transferSyntaxName } from './transfer-syntax.js';

export interface DicomMeta {
  /** SOP Instance UID: the SIIM ImageId. */
  imageId: string;
  /** Patient ID (0010,0020): what keeps one patient's films on one side of a split; null when absent. */
  patientId: string | null;
  /** Patient Age in years (months, weeks and days converted); null when absent or unreadable. */
  patientAge: number | null;
  patientSex: 'M' | 'F' | 'O' | null;
  viewPosition: string | null;
  modality: string | null;
  bodyPartExamined: string | null;
  /** Manufacturer (0008,0070) and Station Name (0008,1010): which device made the image. */
  manufacturer: string | null;
  stationName: string | null;
  rows: number;
  columns: number;
  /** [row spacing, column spacing] in mm: Pixel Spacing, else Imager Pixel Spacing (CR/DX often carry only that); null when neither. */
  pixelSpacing: [number, number] | null;
  photometricInterpretation: string;
  transferSyntaxUid: string;
  transferSyntaxName: string;
  bitsAllocated: number;
  bitsStored: number;
  pixelRepresentation: number;
  numberOfFrames: number;
  samplesPerPixel: number;
  /** Presentation Intent Type (0008,0068) of DX images: `FOR PRESENTATION` or `FOR PROCESSING`; null when absent. */
  presentationIntentType: string | null;
}

/** A string value with DICOM padding (trailing spaces, NULs) removed; null when absent or empty. */
export function dicomString(dataSet: DataSet, tag: string): string | null {
  const value = dataSet.string(tag);
  if (value === undefined) return null;
  const trimmed = value.replace(/\0/g, '').trim();
  return trimmed === '' ? null : trimmed;
}

const DAYS_PER_YEAR = 365.25;

/**
 * DICOM AS values ('062Y', '045M', '003W', '010D') and the bare numbers SIIM writes ('62'), in years.
 * Anything else (empty, negative, letters) is null. Implausible but well-formed values (SIIM has a
 * few ages over 100) are returned as they are: flagging outliers is the analysis's job.
 */
export function parsePatientAge(value: string | null | undefined): number | null {
  if (value === null || value === undefined) return null;
  const match = /^(\d+(?:\.\d+)?)\s*([YMWD])?$/i.exec(value.replace(/\0/g, '').trim());
  if (!match) return null;
  const n = Number(match[1]);
  if (!Number.isFinite(n)) return null;
  switch ((match[2] ?? 'Y').toUpperCase()) {
    case 'M':
      return n / 12;
    case 'W':
      return (n * 7) / DAYS_PER_YEAR;
    case 'D':
      return n / DAYS_PER_YEAR;
    default:
      return n;
  }
}

export function parsePatientSex(value: string | null): DicomMeta['patientSex'] {
  const v = value?.trim().toUpperCase();
  return v === 'M' || v === 'F' || v === 'O' ? v : null;
}

function spacing(dataSet: DataSet, tag: string): [number, number] | null {
  const row = dataSet.floatString(tag, 0);
  const column = dataSet.floatString(tag, 1) ?? row;
  if (row === undefined || column === undefined || !(row > 0) || !(column > 0)) return null;
  return [row, column];
}

/** Integer-valued US attribute, or `fallback` when absent. */
export function uint16(dataSet: DataSet, tag: string, fallback: number): number {
  const element = dataSet.elements[tag];
  if (!element || element.length < 2) return fallback;
  return dataSet.uint16(tag) ?? fallback;
}

export function extractMeta(dataSet: DataSet, transferSyntaxUid: string): DicomMeta {
  const frames = dataSet.intString('x00280008');
  return {
    imageId: dicomString(dataSet, 'x00080018') ?? '',
    patientId: dicomString(dataSet, 'x00100020'),
    patientAge: parsePatientAge(dicomString(dataSet, 'x00101010')),
    patientSex: parsePatientSex(dicomString(dataSet, 'x00100040')),
    viewPosition: dicomString(dataSet, 'x00185101'),
    modality: dicomString(dataSet, 'x00080060'),
    bodyPartExamined: dicomString(dataSet, 'x00180015'),
    manufacturer: dicomString(dataSet, 'x00080070'),
    stationName: dicomString(dataSet, 'x00081010'),
    rows: uint16(dataSet, 'x00280010', 0),
    columns: uint16(dataSet, 'x00280011', 0),
    pixelSpacing: spacing(dataSet, 'x00280030') ?? spacing(dataSet, 'x00181164'),
    photometricInterpretation: dicomString(dataSet, 'x00280004') ?? '',
    transferSyntaxUid,
    transferSyntaxName: transferSyntaxName(transferSyntaxUid),
    bitsAllocated: uint16(dataSet, 'x00280100', 0),
    bitsStored: uint16(dataSet, 'x00280101', 0),
    pixelRepresentation: uint16(dataSet, 'x00280103', 0),
    numberOfFrames: frames !== undefined && Number.isFinite(frames) && frames > 0 ? frames : 1,
    samplesPerPixel: uint16(dataSet, 'x00280002', 1),
    presentationIntentType: dicomString(dataSet, 'x00080068'),
  };
}

/** Bits Stored as the pixels are read: Bits Allocated where the header's value is missing or too large. */
export function storedBits(meta: DicomMeta): number {
  return meta.bitsStored > 0 && meta.bitsStored <= meta.bitsAllocated ? meta.bitsStored : meta.bitsAllocated;
}
