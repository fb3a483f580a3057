// INTERIM: a stand-in for the DICOM header reader (readDicomHeader in src/data/dicom/, branch `dicom`)
// until it lands on main. Same name and shape, reduced to what the EDA uses; deleted when it lands.
import { open, readFile } from 'node:fs/promises';
import type { HeaderRecord } from './header-facts.js';

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
