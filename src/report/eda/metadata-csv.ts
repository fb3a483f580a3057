// OUT/metadata.csv: one row per image, labels and header side by side, for pandas or a spreadsheet.
import { csvText } from '../../data/csv.js';
import type { HeaderEntry } from './header-facts.js';
import { IMPLAUSIBLE_AGE } from './header-facts.js';
import type { ImageLabel } from './label-facts.js';

export const METADATA_COLUMNS = [
  'imageId',
  'label',
  'labelRows',
  'maskRows',
  'maskPixels',
  'maskShare',
  'age',
  'ageImplausible',
  'sex',
  'view',
  'modality',
  'bodyPart',
  'rows',
  'columns',
  'pixelSpacingRow',
  'pixelSpacingColumn',
  'photometricInterpretation',
  'transferSyntaxUid',
  'hasLabel',
  'hasImage',
  'file',
] as const;

export type MetadataRow = Record<(typeof METADATA_COLUMNS)[number], string | number | boolean | null>;

/**
 * Rows in label order, then images with a DICOM but no label. `label` is positive, negative, or empty
 * for an image without a label row; `file` is the DICOM path as given (the caller makes it relative).
 */
export function metadataRows(
  labels: ReadonlyMap<string, ImageLabel> | null,
  headers: readonly HeaderEntry[],
): MetadataRow[] {
  const headerOf = new Map<string, HeaderEntry>();
  for (const entry of headers) if (!headerOf.has(entry.header.imageId)) headerOf.set(entry.header.imageId, entry);
  const ids = [...(labels?.keys() ?? []), ...[...headerOf.keys()].filter((id) => !labels?.has(id))];
  return ids.map((imageId) => {
    const label = labels?.get(imageId);
    const entry = headerOf.get(imageId);
    const h = entry?.header;
    return {
      imageId,
      label: label ? (label.positive ? 'positive' : 'negative') : null,
      labelRows: label?.rows ?? null,
      maskRows: label?.maskRows ?? null,
      maskPixels: label?.maskPixels ?? null,
      maskShare: label?.maskShare ?? null,
      age: h?.patientAge ?? null,
      ageImplausible: h && h.patientAge !== null ? h.patientAge > IMPLAUSIBLE_AGE : null,
      sex: h?.patientSex ?? null,
      view: h?.viewPosition ?? null,
      modality: h?.modality ?? null,
      bodyPart: h?.bodyPartExamined ?? null,
      rows: h?.rows ?? null,
      columns: h?.columns ?? null,
      pixelSpacingRow: h?.pixelSpacing?.[0] ?? null,
      pixelSpacingColumn: h?.pixelSpacing?.[1] ?? null,
      photometricInterpretation: h?.photometricInterpretation || null,
      transferSyntaxUid: h?.transferSyntaxUid || null,
      hasLabel: label !== undefined,
      hasImage: entry !== undefined,
      file: entry?.path ?? null,
    };
  });
}

/** RFC 4180 CSV with a header line; empty fields for missing values, booleans as true/false. */
export function formatMetadataCsv(rows: readonly MetadataRow[]): string {
  return csvText(
    METADATA_COLUMNS,
    rows.map((row) => METADATA_COLUMNS.map((c) => (row[c] === null ? '' : String(row[c])))),
  );
}
