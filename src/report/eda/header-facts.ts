// Header facts for the EDA: who the patients are (sex, age), how the images were taken (view,
// modality, body part, size, photometric interpretation, transfer syntax), each split by class where
// that matters, plus the join between DICOM files and label rows. Pure: records in, tables out.
import { imageIdOfFile } from '../../data/dataset.js';
import type { DicomMeta } from '../../data/dicom/meta.js';
import type { ImageLabel } from './label-facts.js';
import { countBy, MISSING, ratio, summarize, type Summary } from './stats.js';

/** The header fields the EDA reads: `DicomMeta`'s, with any sex code and the syntax's name optional. */
export type HeaderRecord = Pick<
  DicomMeta,
  | 'imageId'
  | 'patientAge'
  | 'viewPosition'
  | 'modality'
  | 'bodyPartExamined'
  | 'rows'
  | 'columns'
  | 'pixelSpacing'
  | 'photometricInterpretation'
  | 'transferSyntaxUid'
> & {
  patientSex: string | null;
  /** Its name, e.g. "JPEG Baseline (Process 1)", when the reader knows it. */
  transferSyntaxName?: string;
};

/** A header record and the file it came from. */
export interface HeaderEntry {
  path: string;
  header: HeaderRecord;
}

export interface UnreadableFile {
  path: string;
  reason: string;
}

export type ImageClass = 'positive' | 'negative' | 'unlabelled';

/** Images with one value of a header field, by class. */
export interface ClassCount {
  value: string;
  positive: number;
  negative: number;
  unlabelled: number;
  total: number;
  /** positive / (positive + negative); null when no labelled image has the value. */
  positiveRate: number | null;
}

export interface AgeBand {
  band: string;
  from: number;
  /** Exclusive, except the last band which holds `to` itself. */
  to: number;
  positive: number;
  negative: number;
  unlabelled: number;
}

export interface AgeFacts {
  all: Summary | null;
  positive: Summary | null;
  negative: Summary | null;
  bands: AgeBand[];
  /** Images with no readable age. */
  missing: number;
  /** Ages over IMPLAUSIBLE_AGE: flagged and left out of the summaries and bands. */
  implausible: { imageId: string; age: number; label: ImageClass }[];
  /** Age ranges where one class has cases and the other none, in words ("no positive case under 7"). */
  absences: string[];
}

export interface HeaderFacts {
  files: number;
  readable: number;
  unreadable: UnreadableFile[];
  /**
   * Files named other than their SOP Instance UID. The dataset index (training, evaluation) joins labels
   * by file name, so these images would be missed there although the EDA, joining by UID, counts them.
   */
  fileNameMismatches: { path: string; imageId: string }[];
  /** One SOP Instance UID in several files: only the first file counts. */
  duplicateImageIds: { imageId: string; paths: string[] }[];
  sex: Record<string, number>;
  sexByClass: ClassCount[];
  view: Record<string, number>;
  viewByClass: ClassCount[];
  age: AgeFacts;
  modality: Record<string, number>;
  bodyPart: Record<string, number>;
  imageSize: Record<string, number>;
  photometricInterpretation: Record<string, number>;
  transferSyntax: Record<string, number>;
  pixelSpacing: Record<string, number>;
  /** DICOMs whose ImageId no label row names, and labelled images with no DICOM; empty without labels. */
  imagesWithoutLabel: string[];
  labelsWithoutImage: string[];
}

export const IMPLAUSIBLE_AGE = 110;
export const AGE_BAND_WIDTH = 10;

export function classOf(label: ImageLabel | undefined): ImageClass {
  return label === undefined ? 'unlabelled' : label.positive ? 'positive' : 'negative';
}

function byClass<T>(items: readonly T[], key: (item: T) => string | null, cls: (item: T) => ImageClass): ClassCount[] {
  const rows = new Map<string, ClassCount>();
  for (const item of items) {
    const value = key(item) ?? MISSING;
    let row = rows.get(value);
    if (!row) rows.set(value, (row = { value, positive: 0, negative: 0, unlabelled: 0, total: 0, positiveRate: null }));
    row[cls(item)]++;
    row.total++;
  }
  for (const row of rows.values()) row.positiveRate = ratio(row.positive, row.positive + row.negative);
  return [...rows.values()].sort((a, b) => b.total - a.total || (a.value < b.value ? -1 : 1));
}

function formatAge(age: number): string {
  return Number.isInteger(age) ? String(age) : age.toFixed(1);
}

function ageFacts(entries: readonly { header: HeaderRecord; cls: ImageClass }[]): AgeFacts {
  const implausible: AgeFacts['implausible'] = [];
  const valid: { age: number; cls: ImageClass }[] = [];
  let missing = 0;
  for (const { header, cls } of entries) {
    const age = header.patientAge;
    if (age === null || !Number.isFinite(age) || age < 0) missing++;
    else if (age > IMPLAUSIBLE_AGE) implausible.push({ imageId: header.imageId, age, label: cls });
    else valid.push({ age, cls });
  }
  const bands: AgeBand[] = [];
  for (let from = 0; from < IMPLAUSIBLE_AGE; from += AGE_BAND_WIDTH) {
    const to = Math.min(from + AGE_BAND_WIDTH, IMPLAUSIBLE_AGE);
    const last = to === IMPLAUSIBLE_AGE;
    const band: AgeBand = { band: `${from}-${last ? to : to - 1}`, from, to, positive: 0, negative: 0, unlabelled: 0 };
    for (const v of valid) if (v.age >= from && (v.age < to || (last && v.age <= to))) band[v.cls]++;
    bands.push(band);
  }
  // Bands past the oldest patient say nothing; keep the table to the ages seen.
  while (bands.length > 1 && bands.at(-1)!.positive + bands.at(-1)!.negative + bands.at(-1)!.unlabelled === 0)
    bands.pop();
  const agesOf = (cls: ImageClass) => valid.filter((v) => v.cls === cls).map((v) => v.age);
  return {
    all: summarize(valid.map((v) => v.age)),
    positive: summarize(agesOf('positive')),
    negative: summarize(agesOf('negative')),
    bands,
    missing,
    implausible,
    absences: ageAbsences(agesOf('positive'), agesOf('negative'), bands),
  };
}

/**
 * Where one class is absent while the other is present: below the youngest and above the oldest case
 * of each class, then any 10-year band in between. A model never shown a positive child cannot be
 * trusted on one, so these ranges are worth a sentence each.
 */
export function ageAbsences(
  positiveAges: readonly number[],
  negativeAges: readonly number[],
  bands: readonly AgeBand[],
): string[] {
  if (positiveAges.length === 0 || negativeAges.length === 0) return [];
  const out: string[] = [];
  const classes = [
    { name: 'positive', own: positiveAges, other: negativeAges, otherName: 'negative' },
    { name: 'negative', own: negativeAges, other: positiveAges, otherName: 'positive' },
  ] as const;
  for (const c of classes) {
    const min = Math.min(...c.own);
    const max = Math.max(...c.own);
    const below = c.other.filter((a) => a < min).length;
    const above = c.other.filter((a) => a > max).length;
    if (below > 0)
      out.push(
        `no ${c.name} case under ${formatAge(min)} (${below} ${c.otherName} case${below === 1 ? '' : 's'} under it)`,
      );
    if (above > 0)
      out.push(
        `no ${c.name} case over ${formatAge(max)} (${above} ${c.otherName} case${above === 1 ? '' : 's'} over it)`,
      );
  }
  // A band with no case of a class lies wholly under its youngest case, wholly over its oldest (both
  // said above), or between the two: a gap, said here.
  for (const band of bands) {
    for (const c of classes) {
      const other = band[c.otherName];
      if (band[c.name] === 0 && other > 0 && Math.min(...c.own) < band.from && Math.max(...c.own) >= band.to)
        out.push(`no ${c.name} case aged ${band.band} (${other} ${c.otherName})`);
    }
  }
  return out;
}

export function computeHeaderFacts(
  entries: readonly HeaderEntry[],
  unreadable: readonly UnreadableFile[],
  labels: ReadonlyMap<string, ImageLabel> | null,
): HeaderFacts {
  const firstPath = new Map<string, string[]>();
  const unique: { header: HeaderRecord; cls: ImageClass }[] = [];
  for (const { path, header } of entries) {
    const paths = firstPath.get(header.imageId);
    if (paths) {
      paths.push(path);
      continue;
    }
    firstPath.set(header.imageId, [path]);
    unique.push({ header, cls: labels ? classOf(labels.get(header.imageId)) : 'unlabelled' });
  }
  const headers = unique.map((u) => u.header);
  return {
    files: entries.length + unreadable.length,
    readable: entries.length,
    unreadable: [...unreadable],
    fileNameMismatches: entries
      .filter((e) => imageIdOfFile(e.path) !== e.header.imageId)
      .map((e) => ({ path: e.path, imageId: e.header.imageId })),
    duplicateImageIds: [...firstPath].filter(([, p]) => p.length > 1).map(([imageId, paths]) => ({ imageId, paths })),
    sex: countBy(headers, (h) => h.patientSex),
    sexByClass: byClass(
      unique,
      (u) => u.header.patientSex,
      (u) => u.cls,
    ),
    view: countBy(headers, (h) => h.viewPosition),
    viewByClass: byClass(
      unique,
      (u) => u.header.viewPosition,
      (u) => u.cls,
    ),
    age: ageFacts(unique),
    modality: countBy(headers, (h) => h.modality),
    bodyPart: countBy(headers, (h) => h.bodyPartExamined),
    imageSize: countBy(headers, (h) => `${h.columns}x${h.rows}`),
    photometricInterpretation: countBy(headers, (h) => h.photometricInterpretation || null),
    transferSyntax: countBy(headers, (h) =>
      h.transferSyntaxName && h.transferSyntaxName !== h.transferSyntaxUid
        ? `${h.transferSyntaxName} (${h.transferSyntaxUid})`
        : h.transferSyntaxUid || null,
    ),
    pixelSpacing: countBy(headers, (h) =>
      h.pixelSpacing ? h.pixelSpacing.map((s) => String(Number(s.toPrecision(6)))).join(' x ') : null,
    ),
    imagesWithoutLabel: labels ? unique.filter((u) => !labels.has(u.header.imageId)).map((u) => u.header.imageId) : [],
    labelsWithoutImage: labels ? [...labels.keys()].filter((id) => !firstPath.has(id)) : [],
  };
}
