// What each evaluated image is, for subgroup figures: read from the images themselves (the DICOM
// header: sex, age, view position, manufacturer, station), from the truth mask (its share of the
// image, in SIIM's size bands), from synth.json where the dataset was generated (chest drains, ECG
// leads, skin folds), and from a user's `--groups` CSV (ImageId, then one column per grouping). An
// attribute family maps each image to its group, or to null where the source does not say.
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { DatasetItem } from '../data/dataset.js';
import { splitCsvLine } from '../data/csv.js';
import { readDicomHeader, type DicomMeta } from '../data/dicom/index.js';
import { SUMMARY_FILE, type SynthSummary } from '../data/synth/dataset-writer.js';
import { SIIM_SIZE_BANDS, sizeBand } from '../data/synth/siim-reference.js';

export type AttributeSource = 'DICOM header' | 'truth mask' | 'synth.json' | 'groups CSV';

export interface AttributeFamily {
  key: string;
  title: string;
  source: AttributeSource;
  /** Group names in display order. */
  groups: string[];
  /** Each image's group; an image absent from the map (or null) is unknown for this family. */
  groupOf: Map<string, string | null>;
  /**
   * Mask-size bands: a negative has no size, so every band holds its own positives and every negative,
   * and the band's AUC asks how well that size of pneumothorax is told from no finding.
   */
  negativesInEveryGroup?: boolean;
  /** A device or confounder present or absent: groups are [with, without]; the shortcut probe reads it. */
  device?: string;
}

export const AGE_BANDS: readonly { name: string; below: number }[] = [
  { name: 'under 18', below: 18 },
  { name: '18-39', below: 40 },
  { name: '40-59', below: 60 },
  { name: '60-79', below: 80 },
  { name: '80 and over', below: Infinity },
];

export function ageBand(age: number | null): string | null {
  if (age === null || !Number.isFinite(age) || age < 0) return null;
  return AGE_BANDS.find((b) => age < b.below)!.name;
}

export function viewGroup(view: string | null): string | null {
  if (view === null) return null;
  const v = view.toUpperCase();
  return v === 'PA' || v === 'AP' ? v : 'other';
}

const SEX_NAMES: Record<string, string> = { M: 'male', F: 'female', O: 'other' };

/** Groups in order of size (largest first), ties by name, for free-text values such as a manufacturer. */
function bySize(groupOf: Map<string, string | null>): string[] {
  const counts = new Map<string, number>();
  for (const g of groupOf.values()) if (g !== null) counts.set(g, (counts.get(g) ?? 0) + 1);
  return [...counts.keys()].sort((a, b) => counts.get(b)! - counts.get(a)! || a.localeCompare(b));
}

/** The header families from already-read headers (by ImageId). */
export function headerFamilies(headers: ReadonlyMap<string, DicomMeta>): AttributeFamily[] {
  const family = (
    key: string,
    title: string,
    value: (h: DicomMeta) => string | null,
    order?: readonly string[],
  ): AttributeFamily => {
    const groupOf = new Map([...headers].map(([id, h]) => [id, value(h)]));
    const present = new Set(groupOf.values());
    return {
      key,
      title,
      source: 'DICOM header',
      groups: order ? order.filter((g) => present.has(g)) : bySize(groupOf),
      groupOf,
    };
  };
  return [
    family('sex', 'Sex', (h) => (h.patientSex ? SEX_NAMES[h.patientSex] : null), ['female', 'male', 'other']),
    family(
      'age',
      'Age band',
      (h) => ageBand(h.patientAge),
      AGE_BANDS.map((b) => b.name),
    ),
    family('view', 'View position', (h) => viewGroup(h.viewPosition), ['PA', 'AP', 'other']),
    family('manufacturer', 'Manufacturer', (h) => h.manufacturer),
    family('station', 'Station', (h) => h.stationName),
  ].filter((f) => f.groups.length > 0);
}

/** Headers of the items that are DICOM files; a file whose header cannot be read is left out. */
export async function readItemHeaders(items: readonly DatasetItem[]): Promise<Map<string, DicomMeta>> {
  const headers = new Map<string, DicomMeta>();
  for (const item of items) {
    if (!/\.dcm$/i.test(item.path)) continue;
    try {
      headers.set(item.imageId, await readDicomHeader(item.path));
    } catch {
      // The image itself already failed or will fail in prediction, which reports it.
    }
  }
  return headers;
}

/** Mask-size bands from each positive's truth area as a share of the image. */
export function maskSizeFamily(truthFractions: ReadonlyMap<string, number>): AttributeFamily {
  const groupOf = new Map<string, string | null>();
  for (const [id, fraction] of truthFractions)
    groupOf.set(id, fraction > 0 ? SIIM_SIZE_BANDS[sizeBand(fraction)].name : null);
  return {
    key: 'mask-size',
    title: 'Mask size (share of the image)',
    source: 'truth mask',
    groups: SIIM_SIZE_BANDS.map((b) => b.name),
    groupOf,
    negativesInEveryGroup: true,
  };
}

function deviceFamily(
  key: string,
  device: string,
  source: AttributeSource,
  has: Map<string, boolean>,
): AttributeFamily {
  const withName = `with ${device}`;
  const withoutName = `without ${device}`;
  return {
    key,
    title: `${device[0].toUpperCase()}${device.slice(1)}`,
    source,
    groups: [withName, withoutName],
    groupOf: new Map([...has].map(([id, h]) => [id, h ? withName : withoutName])),
    device,
  };
}

/** Devices and confounders synth.json records, when the dataset folder has one; none otherwise. */
export async function synthFamilies(dataDir: string): Promise<AttributeFamily[]> {
  let summary: SynthSummary;
  try {
    summary = JSON.parse(await readFile(path.join(dataDir, SUMMARY_FILE), 'utf8')) as SynthSummary;
  } catch {
    return [];
  }
  if (!Array.isArray(summary.images)) return [];
  const flag = (has: (image: SynthSummary['images'][number]) => boolean) =>
    new Map(summary.images.map((image) => [image.imageId, has(image)]));
  return [
    deviceFamily(
      'chest-drain',
      'a chest drain',
      'synth.json',
      flag((i) => i.chestDrain !== null),
    ),
    deviceFamily(
      'ecg-leads',
      'ECG leads',
      'synth.json',
      flag((i) => i.ecgLeads > 0),
    ),
    deviceFamily(
      'skin-fold',
      'a skin fold',
      'synth.json',
      flag((i) => i.skinFold !== null),
    ),
  ];
}

const TRUE_WORDS = new Set(['1', 'true', 'yes', 'y', 'present']);
const FALSE_WORDS = new Set(['0', 'false', 'no', 'n', 'absent']);

/**
 * A `--groups` CSV: a header row `ImageId,<column>...`, then one row per image. A column whose every
 * value is yes/no-like (1/0, true/false, yes/no, present/absent) names a device (with/without it, and
 * the shortcut probe); any other column is a grouping by its values. An empty cell is unknown.
 */
export function parseGroupsCsv(text: string, file: string): AttributeFamily[] {
  const lines = text
    .replace(/^\uFEFF/, '')
    .split(/\r?\n/)
    .filter((l) => l.trim() !== '');
  if (lines.length === 0) throw new Error(`${file}: empty (expected a header row ImageId,<group columns>)`);
  const header = splitCsvLine(lines[0]);
  if ('error' in header) throw new Error(`${file}: line 1: ${header.error}`);
  if (header[0].toLowerCase() !== 'imageid' || header.length < 2)
    throw new Error(`${file}: line 1 must be ImageId followed by at least one group column, got "${lines[0]}"`);
  const columns = header.slice(1);
  const values = columns.map(() => new Map<string, string | null>());
  lines.slice(1).forEach((line, k) => {
    const fields = splitCsvLine(line);
    if ('error' in fields) throw new Error(`${file}: line ${k + 2}: ${fields.error}`);
    if (fields.length !== header.length)
      throw new Error(`${file}: line ${k + 2} has ${fields.length} fields, the header ${header.length}`);
    columns.forEach((_, c) => values[c].set(fields[0], fields[c + 1] === '' ? null : fields[c + 1]));
  });
  return columns.map((column, c) => {
    const seen = [...values[c].values()].filter((v): v is string => v !== null).map((v) => v.toLowerCase());
    const yesNo = seen.length > 0 && seen.every((v) => TRUE_WORDS.has(v) || FALSE_WORDS.has(v));
    if (yesNo) {
      const has = new Map<string, boolean>();
      for (const [id, v] of values[c]) if (v !== null) has.set(id, TRUE_WORDS.has(v.toLowerCase()));
      return deviceFamily(`groups:${column}`, column, 'groups CSV', has);
    }
    return {
      key: `groups:${column}`,
      title: column,
      source: 'groups CSV',
      groups: bySize(values[c]),
      groupOf: values[c],
    };
  });
}

export async function readGroupsCsv(file: string): Promise<AttributeFamily[]> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    throw new Error(`${file}: cannot be read (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
  return parseGroupsCsv(text, file);
}
