// SIIM label CSVs (ARCHITECTURE.md, "Dataset on disk"): rows of `ImageId, EncodedPixels`, `-1` for no
// pneumothorax, several rows per image OR-ed together. Read as they exist in the wild: with or without a
// header (`ImageId,EncodedPixels` or `ImageId, EncodedPixels`), UTF-8 BOM, CRLF, no final newline,
// spaces around fields, quoted fields.
//
// The reader is line-oriented on purpose: no label field ever holds a newline, and a general CSV parser
// (csv-parse was tried) lets one stray quote swallow every row after it, which would lose labels. Here a
// bad line is reported with its number and image and every other line is still read.
//
// Run starts are read as SIIM's relative gaps unless the caller says `absolute` (Kaggle's standard RLE,
// see rle.ts) or `auto`; every row is held in the SIIM form afterwards, whatever the file wrote.
//
// A gzipped file (the SIIM labels ship as train-rle.csv.gz in public copies) is recognised by its magic
// bytes, whatever its name, and read decompressed; any other binary file is refused as a whole rather
// than reported as thousands of garbage rows.
import { readFile, writeFile } from 'node:fs/promises';
import { gunzipSync } from 'node:zlib';
import { FileError, fileErrorReason } from '../file-error.js';
import { csvField, splitCsvLine } from './csv.js';
import { isEmptyRle, RleError, SIIM_SIZE, toRelativeRle, type RleReading } from './rle.js';

/** One well-formed row of a label file. */
export interface LabelRow {
  /** 1-based line in the file, counting the header and blank lines. */
  line: number;
  imageId: string;
  /**
   * The RLE in the SIIM (relative) form: as written, trimmed, for a relative file; converted from
   * absolute starts otherwise. `-1` or `''` mean no pneumothorax.
   */
  encodedPixels: string;
}

const SHOWN_ID_CHARS = 80;

/** An ImageId as a message may show it: control characters escaped, long garbage cut. */
function printable(id: string): string {
  const escaped = id.replace(
    /[\u0000-\u001f\u007f-\u009f]/g,
    (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`,
  );
  return escaped.length > SHOWN_ID_CHARS ? `${escaped.slice(0, SHOWN_ID_CHARS)}...` : escaped;
}

/** A row that could not be used: wrong column count, bad quoting, empty ImageId or bad RLE. */
export class LabelRowError extends Error {
  override name = 'LabelRowError';
  constructor(
    readonly file: string,
    readonly line: number,
    /** The row's ImageId when one could be read. */
    readonly imageId: string | null,
    readonly reason: string,
  ) {
    super(`${file} line ${line}${imageId ? ` (image ${printable(imageId)})` : ''}: ${reason}`);
  }
}

/** The label file itself could not be read. */
export class LabelFileError extends FileError {
  override name = 'LabelFileError';
}

/** Rows with the same ImageId and the same EncodedPixels (blank-insensitive; `''` and `-1` alike). */
export interface DuplicateLabelRows {
  imageId: string;
  encodedPixels: string;
  /** Every line holding this row, the first occurrence first (so `lines.length - 1` are repeats). */
  lines: number[];
}

export interface LabelTable {
  /** The file name (or the name given to parseLabelCsv), used in every message. */
  source: string;
  hasHeader: boolean;
  /** How the file's run starts were read (what `auto` decided, or what was asked). */
  rleReading: RleReading;
  /** Well-formed rows in file order, duplicates included. */
  rows: LabelRow[];
  /**
   * Well-formed rows grouped by image, images in order of first appearance, rows in file order.
   * Duplicates stay in (OR-ing makes them harmless for the mask); malformed rows are not here.
   */
  images: Map<string, LabelRow[]>;
  /** Repeated rows, in order of first occurrence. Reported, never dropped. */
  duplicates: DuplicateLabelRows[];
  /** How many rows repeat an earlier one: the sum of `lines.length - 1` over `duplicates`. */
  duplicateRowCount: number;
  /** Images with both an empty (`-1`) row and mask rows; their mask is the union of the mask rows. */
  mixedImages: string[];
  /** Rows that could not be used, in file order. Reading carries on past them. */
  malformed: LabelRowError[];
}

/** The `--rle` choice: a reading, or `auto` (the reading under which every row fits the image). */
export const RLE_OPTIONS = ['relative', 'absolute', 'auto'] as const;
export type RleOption = (typeof RLE_OPTIONS)[number];

export interface LabelReadOptions {
  /** Image size that RLE runs are checked against (a run past the end is malformed). Default 1024. */
  width?: number;
  height?: number;
  /** How run starts count; `relative` (SIIM) by default. */
  rle?: RleOption;
  /**
   * Each image's own size where known (from its DICOM header), checked instead of width x height:
   * with images smaller than SIIM's, `auto` can then see an absolute file's rows read as gaps run
   * past their image.
   */
  sizeOf?: ImageSizeOf;
}

export type ImageSizeOf = (imageId: string) => { width: number; height: number } | undefined;

/** True when any of the rows marks pixels, i.e. the image shows pneumothorax. */
export function hasMask(rows: readonly { encodedPixels: string }[]): boolean {
  return rows.some((r) => !isEmptyRle(r.encodedPixels));
}

function isHeader(fields: readonly string[]): boolean {
  return fields[0].toLowerCase() === 'imageid';
}

function duplicateKey(imageId: string, encodedPixels: string): string {
  const rle = isEmptyRle(encodedPixels) ? '-1' : encodedPixels.trim().split(/\s+/).join(' ');
  return `${imageId}\u0000${rle}`;
}

/** A line that split into an ImageId and an RLE field, before its RLE is read. */
type CandidateRow = LabelRow;

/** The image size a row is checked against: its own when known, else the reader's. */
type RowSize = (row: CandidateRow) => { width: number; height: number };

/** The reason a row does not fit a reading, or null when it does. */
function misfit(row: CandidateRow, reading: RleReading, size: RowSize): string | null {
  const { width, height } = size(row);
  try {
    toRelativeRle(row.encodedPixels, reading, width, height, row.imageId);
    return null;
  } catch (err) {
    if (!(err instanceof RleError)) throw err;
    return err.reason;
  }
}

const where = (row: CandidateRow) => `line ${row.line} (image ${printable(row.imageId)})`;

/**
 * The reading under which no row runs past the image (rows broken under both, e.g. an odd count of
 * numbers, decide nothing). When each reading is contradicted by some row, or no row tells them
 * apart though they decode differently, a LabelFileError names the file and a row that decides it.
 */
export function chooseRleReading(
  rows: readonly CandidateRow[],
  source: string,
  width = SIIM_SIZE,
  height = SIIM_SIZE,
  sizeOf?: ImageSizeOf,
): RleReading {
  const size: RowSize = (row) => sizeOf?.(row.imageId) ?? { width, height };
  let onlyRelative: { row: CandidateRow; why: string } | null = null;
  let onlyAbsolute: { row: CandidateRow; why: string } | null = null;
  let differs: CandidateRow | null = null;
  for (const row of rows) {
    if (isEmptyRle(row.encodedPixels)) continue;
    const notRelative = misfit(row, 'relative', size);
    const notAbsolute = misfit(row, 'absolute', size);
    if (notRelative === null && notAbsolute !== null) onlyRelative ??= { row, why: notAbsolute };
    else if (notAbsolute === null && notRelative !== null) onlyAbsolute ??= { row, why: notRelative };
    else if (notRelative === null && notAbsolute === null && differs === null) {
      const relative = row.encodedPixels.trim().split(/\s+/).join(' ');
      const { width: w, height: h } = size(row);
      if (toRelativeRle(row.encodedPixels, 'absolute', w, h) !== relative) differs = row;
    }
    if (onlyRelative && onlyAbsolute) break;
  }
  if (onlyRelative && onlyAbsolute)
    throw new LabelFileError(
      source,
      `--rle auto: neither reading fits every row: ${where(onlyRelative.row)} fits only relative starts (absolute: ${onlyRelative.why}), ${where(onlyAbsolute.row)} only absolute ones (relative: ${onlyAbsolute.why}); choose --rle relative or --rle absolute`,
    );
  if (onlyRelative) return 'relative';
  if (onlyAbsolute) return 'absolute';
  if (differs)
    throw new LabelFileError(
      source,
      `--rle auto: both readings fit every row, and ${where(differs)} decodes differently under them; choose --rle relative or --rle absolute`,
    );
  return 'relative';
}

/**
 * Parses the text of a label CSV; `source` names it in messages. Never throws for bad rows; throws a
 * LabelFileError when `rle: 'auto'` cannot decide the file's reading (chooseRleReading).
 */
export function parseLabelCsv(text: string, source = 'labels', options: LabelReadOptions = {}): LabelTable {
  const width = options.width ?? SIIM_SIZE;
  const height = options.height ?? SIIM_SIZE;
  const lines = text.replace(/^\uFEFF/, '').split(/\r\n|\n|\r/);
  const table: LabelTable = {
    source,
    hasHeader: false,
    rleReading: 'relative',
    rows: [],
    images: new Map(),
    duplicates: [],
    duplicateRowCount: 0,
    mixedImages: [],
    malformed: [],
  };
  const candidates: CandidateRow[] = [];
  let firstContentLine = true;
  lines.forEach((content, index) => {
    const line = index + 1;
    if (content.trim() === '') return;
    const fields = splitCsvLine(content);
    if (!Array.isArray(fields)) {
      const guessedId = content.split(',')[0].trim().replace(/^"/, '') || null;
      table.malformed.push(new LabelRowError(source, line, guessedId, fields.error));
      firstContentLine = false;
      return;
    }
    if (isHeader(fields)) {
      if (firstContentLine) table.hasHeader = true;
      else table.malformed.push(new LabelRowError(source, line, null, 'a header line after the first row'));
      firstContentLine = false;
      return;
    }
    firstContentLine = false;
    const imageId = fields[0] || null;
    if (fields.length !== 2) {
      const reason = `expected 2 fields (ImageId, EncodedPixels), found ${fields.length}`;
      table.malformed.push(new LabelRowError(source, line, imageId, reason));
      return;
    }
    if (imageId === null) {
      table.malformed.push(new LabelRowError(source, line, null, 'empty ImageId'));
      return;
    }
    candidates.push({ line, imageId, encodedPixels: fields[1] });
  });

  const sizeOf = options.sizeOf;
  const size: RowSize = (row) => sizeOf?.(row.imageId) ?? { width, height };
  const reading = (table.rleReading =
    options.rle === 'auto'
      ? chooseRleReading(candidates, source, width, height, sizeOf)
      : (options.rle ?? 'relative'));
  const seen = new Map<string, DuplicateLabelRows>();
  let rleMalformed = false;
  for (const candidate of candidates) {
    const { line, imageId } = candidate;
    let encodedPixels: string;
    try {
      const own = size(candidate);
      encodedPixels = toRelativeRle(candidate.encodedPixels, reading, own.width, own.height, imageId);
    } catch (err) {
      if (!(err instanceof RleError)) throw err;
      const other: RleReading = reading === 'relative' ? 'absolute' : 'relative';
      const hint = misfit(candidate, other, size) === null ? `; it fits ${other} run starts (--rle)` : '';
      table.malformed.push(new LabelRowError(source, line, imageId, err.reason + hint));
      rleMalformed = true;
      continue;
    }
    const row: LabelRow = { line, imageId, encodedPixels };
    table.rows.push(row);
    const group = table.images.get(imageId);
    if (group) group.push(row);
    else table.images.set(imageId, [row]);
    const key = duplicateKey(imageId, encodedPixels);
    const earlier = seen.get(key);
    if (!earlier) seen.set(key, { imageId, encodedPixels, lines: [line] });
    else {
      if (earlier.lines.length === 1) table.duplicates.push(earlier);
      earlier.lines.push(line);
      table.duplicateRowCount++;
    }
  }
  // Rows refused for their RLE were found after the line-level problems: back into file order.
  if (rleMalformed) table.malformed.sort((a, b) => a.line - b.line);
  for (const [imageId, rows] of table.images) {
    if (hasMask(rows) && rows.some((r) => isEmptyRle(r.encodedPixels))) table.mixedImages.push(imageId);
  }
  return table;
}

const GZIP_MAGIC = [0x1f, 0x8b];

function isGzip(bytes: Uint8Array): boolean {
  return bytes.length >= 2 && bytes[0] === GZIP_MAGIC[0] && bytes[1] === GZIP_MAGIC[1];
}

/** The text of a label file's bytes: gunzipped when gzipped; null when the bytes are not text. */
function labelText(bytes: Buffer, file: string): string {
  let raw = bytes;
  if (isGzip(bytes)) {
    try {
      raw = gunzipSync(bytes);
    } catch (err) {
      throw new LabelFileError(file, `a gzip file that does not decompress (${(err as Error).message})`);
    }
  }
  // A NUL byte never occurs in a text CSV; it does within the first bytes of almost any binary format.
  if (raw.subarray(0, 64 * 1024).includes(0))
    throw new LabelFileError(file, 'not a text CSV (binary content); label files are CSV text, optionally gzipped');
  return raw.toString('utf8');
}

/**
 * Reads a label CSV (or a gzipped one) from disk. Throws LabelFileError only when the file cannot be
 * read at all or is not text; see requireLabelRows for a file with no usable row.
 */
export async function readLabelCsv(file: string, options: LabelReadOptions = {}): Promise<LabelTable> {
  let bytes: Buffer;
  try {
    bytes = await readFile(file);
  } catch (err) {
    throw new LabelFileError(file, `cannot read the label file: ${fileErrorReason(err)}`);
  }
  return parseLabelCsv(labelText(bytes, file), file, options);
}

/**
 * The table when it holds at least one well-formed row; else LabelFileError naming the file and why
 * (empty, or every row malformed, with the first row's reason). Commands that compute from labels
 * call it, so that a file with nothing usable fails instead of producing an empty result.
 */
export function requireLabelRows(table: LabelTable): LabelTable {
  if (table.rows.length > 0) return table;
  if (table.malformed.length === 0)
    throw new LabelFileError(table.source, 'no label rows (the file is empty or holds only a header)');
  const first = table.malformed[0];
  throw new LabelFileError(
    table.source,
    `no valid label row: all ${table.malformed.length} rows are malformed (line ${first.line}: ${first.reason})`,
  );
}

/** One row to write: an image and its RLE (`-1` or `''` for no pneumothorax). */
export interface LabelEntry {
  imageId: string;
  encodedPixels: string;
}

/** A label CSV in SIIM format: header `ImageId,EncodedPixels`, `-1` for empty masks, LF, final newline. */
export function formatLabelCsv(entries: Iterable<LabelEntry>): string {
  const lines = ['ImageId,EncodedPixels'];
  for (const { imageId, encodedPixels } of entries) {
    if (imageId.trim() === '') throw new Error('formatLabelCsv: an entry has an empty ImageId');
    lines.push(`${csvField(imageId)},${isEmptyRle(encodedPixels) ? '-1' : encodedPixels.trim()}`);
  }
  return lines.join('\n') + '\n';
}

export async function writeLabelCsv(file: string, entries: Iterable<LabelEntry>): Promise<void> {
  await writeFile(file, formatLabelCsv(entries), 'utf8');
}
