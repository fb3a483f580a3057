// What the objects pneumo writes take from the image they were derived from: the identifiers they
// reference, the patient and study attributes they copy (so that a PACS files them with the study),
// the size and the pixel spacing. Values that break their VR are repaired where the meaning is
// unambiguous (SIIM's bare ages "38" become "038Y") and left empty otherwise, so a bad source never
// makes a bad result; a source that cannot be referenced at all is a one-line SourceImageError.
import path from 'node:path';
import { readDataset, type Dataset } from './dcmjs.js';
import { isValidUid } from './uid.js';

export class SourceImageError extends Error {
  override name = 'SourceImageError';
  constructor(
    readonly file: string,
    reason: string,
  ) {
    super(`${path.basename(file) || 'DICOM'}: ${reason}`);
  }
}

export interface SourceImage {
  /** Where the image came from (a file or a DICOMweb URL), for messages. */
  file: string;
  sopClassUid: string;
  sopInstanceUid: string;
  studyInstanceUid: string;
  seriesInstanceUid: string;
  rows: number;
  columns: number;
  /** [row, column] mm: Pixel Spacing, else Imager Pixel Spacing; null when neither. */
  pixelSpacing: [number, number] | null;
  /** Patient, Patient Study and General Study attributes to copy, already repaired. */
  patientAndStudy: Dataset;
  frameOfReferenceUid: string | null;
}

/** Type 2 attributes of the Patient and General Study modules: present in every object, empty when unknown. */
const TYPE2 = [
  'PatientName',
  'PatientID',
  'PatientBirthDate',
  'PatientSex',
  'StudyDate',
  'StudyTime',
  'ReferringPhysicianName',
  'StudyID',
  'AccessionNumber',
] as const;
const OPTIONAL = [
  'IssuerOfPatientID',
  'PatientAge',
  'PatientSize',
  'PatientWeight',
  'StudyDescription',
  'PatientIdentityRemoved',
  'DeidentificationMethod',
] as const;

const MAX_LENGTH: Record<string, number> = { SH: 16, LO: 64, CS: 16 };
const VR: Record<string, string> = {
  PatientID: 'LO',
  IssuerOfPatientID: 'LO',
  StudyID: 'SH',
  AccessionNumber: 'SH',
  StudyDescription: 'LO',
  DeidentificationMethod: 'LO',
};

/** SIIM and others write ages as bare numbers of years; AS wants three digits and a unit. */
export function repairAge(value: string): string | null {
  const v = value.trim().toUpperCase();
  if (/^\d{3}[DWMY]$/.test(v)) return v;
  const bare = /^(\d{1,3})([DWMY]?)$/.exec(v);
  return bare ? `${bare[1].padStart(3, '0')}${bare[2] || 'Y'}` : null;
}

function repaired(keyword: string, value: unknown): unknown {
  if (value === undefined || value === null) return undefined;
  const text = typeof value === 'string' ? value.replace(/\0/g, '').trim() : value;
  switch (keyword) {
    case 'PatientName':
    case 'ReferringPhysicianName':
      return Array.isArray(value) || typeof value === 'object' ? value : String(value);
    case 'PatientBirthDate':
    case 'StudyDate':
      return typeof text === 'string' && /^\d{8}$/.test(text) ? text : undefined;
    case 'StudyTime':
      return typeof text === 'string' && /^\d{2}(\d{2}(\d{2}(\.\d{1,6})?)?)?$/.test(text) ? text : undefined;
    case 'PatientSex':
      return text === 'M' || text === 'F' || text === 'O' ? text : undefined;
    case 'PatientAge':
      return typeof text === 'string' ? (repairAge(text) ?? undefined) : undefined;
    case 'PatientSize':
    case 'PatientWeight':
      return typeof text === 'number' && Number.isFinite(text) && text > 0 ? text : undefined;
    case 'PatientIdentityRemoved':
      return text === 'YES' || text === 'NO' ? text : undefined;
    default: {
      if (typeof text !== 'string') return undefined;
      const max = MAX_LENGTH[VR[keyword] ?? 'LO'];
      return text.length <= max && !/[\\\n\r]/.test(text) ? text : undefined;
    }
  }
}

function positiveInteger(value: unknown): number | null {
  const n = Number(value);
  return Number.isInteger(n) && n > 0 ? n : null;
}

function spacing(value: unknown): [number, number] | null {
  const values = (Array.isArray(value) ? value : [value]).map(Number);
  const [row, column = row] = values;
  return row > 0 && column > 0 && Number.isFinite(row) && Number.isFinite(column) ? [row, column] : null;
}

/** The source attributes of a data set that has already been read. */
export function sourceImageFromDataset(dataset: Dataset, file: string): SourceImage {
  const uid = (keyword: string): string => {
    const value = typeof dataset[keyword] === 'string' ? (dataset[keyword] as string).replace(/\0/g, '').trim() : '';
    if (!isValidUid(value))
      throw new SourceImageError(
        file,
        value === ''
          ? `no ${keyword}; results cannot reference the image`
          : `${keyword} "${value}" is not a valid UID; results cannot reference the image`,
      );
    return value;
  };
  const rows = positiveInteger(dataset.Rows);
  const columns = positiveInteger(dataset.Columns);
  if (rows === null || columns === null) throw new SourceImageError(file, 'Rows or Columns is missing or zero');
  const patientAndStudy: Dataset = {};
  for (const keyword of TYPE2) patientAndStudy[keyword] = repaired(keyword, dataset[keyword]) ?? '';
  for (const keyword of OPTIONAL) {
    const value = repaired(keyword, dataset[keyword]);
    if (value !== undefined && value !== '') patientAndStudy[keyword] = value;
  }
  const frameOfReference = dataset.FrameOfReferenceUID;
  return {
    file,
    sopClassUid: uid('SOPClassUID'),
    sopInstanceUid: uid('SOPInstanceUID'),
    studyInstanceUid: uid('StudyInstanceUID'),
    seriesInstanceUid: uid('SeriesInstanceUID'),
    rows,
    columns,
    pixelSpacing: spacing(dataset.PixelSpacing) ?? spacing(dataset.ImagerPixelSpacing),
    patientAndStudy,
    frameOfReferenceUid: isValidUid(frameOfReference) ? frameOfReference : null,
  };
}

/** The source attributes from the bytes of a DICOM file (the header only is parsed). */
export function readSourceImage(bytes: Uint8Array, file: string): SourceImage {
  let dataset: Dataset;
  try {
    dataset = readDataset(bytes, { untilPixelData: true });
  } catch (err) {
    throw new SourceImageError(file, `the DICOM header does not parse (${(err as Error).message})`);
  }
  return sourceImageFromDataset(dataset, file);
}
