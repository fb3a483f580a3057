// INTERIM: stand-ins for the dataset index (src/data/dataset.ts, src/data/labels.ts, branch `labels`)
// and the DICOM header reader (src/data/dicom/, branch `dicom`) until those land on main. Same names
// and shapes as theirs, reduced to what the EDA uses; this file is deleted when they land.
import { open, readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import type { HeaderRecord } from './header-facts.js';

export const LABEL_FILE_NAMES = ['train-rle.csv', 'stage_2_train.csv'] as const;
const DICOM_EXTENSION = /\.(dcm|dicom)$/i;

export class DatasetError extends Error {
  override name = 'DatasetError';
}

export async function findLabelFile(root: string): Promise<string> {
  const names = await readdir(root).catch(() => {
    throw new DatasetError(`${root}: no such dataset folder`);
  });
  const found = LABEL_FILE_NAMES.filter((n) => names.includes(n));
  if (found.length === 1) return path.join(root, found[0]);
  if (found.length > 1) throw new DatasetError(`${root}: both ${found.join(' and ')} are present; choose one with --labels`);
  throw new DatasetError(`${root}: no label file (${LABEL_FILE_NAMES.join(' or ')}); name one with --labels`);
}

export async function findDicomFiles(root: string): Promise<string[]> {
  const entries = await readdir(root, { recursive: true, withFileTypes: true });
  return entries
    .filter((e) => e.isFile() && DICOM_EXTENSION.test(e.name))
    .map((e) => path.join(e.parentPath, e.name))
    .sort();
}

export interface InterimLabelRow {
  line: number;
  imageId: string;
  encodedPixels: string;
}

export async function readLabelCsv(file: string): Promise<{ rows: InterimLabelRow[]; malformed: { line: number; imageId: string | null; reason: string }[] }> {
  const text = await readFile(file, 'utf8').catch((err: NodeJS.ErrnoException) => {
    throw new DatasetError(`${file}: cannot read the label file: ${err.code === 'ENOENT' ? 'no such file' : err.message}`);
  });
  const rows: InterimLabelRow[] = [];
  const malformed: { line: number; imageId: string | null; reason: string }[] = [];
  text
    .replace(/^\uFEFF/, '')
    .split(/\r\n|\n|\r/)
    .forEach((raw, index) => {
      if (raw.trim() === '') return;
      const fields = raw.split(',').map((f) => f.trim());
      if (fields[0].toLowerCase() === 'imageid') return;
      if (fields.length !== 2 || fields[0] === '') malformed.push({ line: index + 1, imageId: fields[0] || null, reason: `expected 2 fields (ImageId, EncodedPixels), found ${fields.length}` });
      else rows.push({ line: index + 1, imageId: fields[0], encodedPixels: fields[1] });
    });
  return { rows, malformed };
}

const HEAD_BYTES = 16 * 1024;
let parser: typeof import('dicom-parser') | undefined;

/** Header only: reads the first 16 KiB and parses up to the pixel data, the whole file if the header is longer. */
export async function readDicomHeader(file: string): Promise<HeaderRecord> {
  const dicomParser = (parser ??= (await import('dicom-parser')).default);
  const handle = await open(file, 'r');
  let bytes: Uint8Array;
  try {
    const { size } = await handle.stat();
    const head = Buffer.alloc(Math.min(size, HEAD_BYTES));
    await handle.read(head, 0, head.length, 0);
    bytes = head;
    try {
      return extract(dicomParser.parseDicom(bytes, { untilTag: 'x7fe00010' }));
    } catch (err) {
      if (size <= HEAD_BYTES) throw err;
    }
    bytes = await readFile(file);
    return extract(dicomParser.parseDicom(bytes, { untilTag: 'x7fe00010' }));
  } finally {
    await handle.close();
  }
}

type DataSet = import('dicom-parser').DataSet;

function text(ds: DataSet, tag: string): string | null {
  const v = ds.string(tag)?.replace(/\0/g, '').trim();
  return v ? v : null;
}

function extract(ds: DataSet): HeaderRecord {
  const ageText = text(ds, 'x00101010');
  const age = ageText ? /^(\d+(?:\.\d+)?)\s*([YMWD])?$/i.exec(ageText) : null;
  const perYear: Record<string, number> = { Y: 1, M: 12, W: 365.25 / 7, D: 365.25 };
  const spacing = text(ds, 'x00280030') ?? text(ds, 'x00181164');
  const [sr, sc] = (spacing ?? '').split('\\').map(Number);
  const imageId = text(ds, 'x00080018');
  if (!imageId) throw new Error('no SOP Instance UID (0008,0018)');
  return {
    imageId,
    patientAge: age ? Number(age[1]) / perYear[(age[2] ?? 'Y').toUpperCase()] : null,
    patientSex: text(ds, 'x00100040'),
    viewPosition: text(ds, 'x00185101'),
    modality: text(ds, 'x00080060'),
    bodyPartExamined: text(ds, 'x00180015'),
    rows: ds.uint16('x00280010') ?? 0,
    columns: ds.uint16('x00280011') ?? 0,
    pixelSpacing: sr > 0 ? [sr, sc > 0 ? sc : sr] : null,
    photometricInterpretation: text(ds, 'x00280004') ?? '',
    transferSyntaxUid: text(ds, 'x00020010') ?? '',
  };
}
