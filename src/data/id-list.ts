// Reads a list of image ids from a file as people write them: a CSV whose first column is the
// ImageId (other columns ignored), or one id per line; with or without a header; UTF-8 BOM, CRLF or
// LF, blank lines, quoted fields, spaces around values. Used for `--oversample hard.csv`.
import { readFile } from 'node:fs/promises';
import { FileError, fileErrorReason } from '../file-error.js';

export class IdListError extends FileError {
  override name = 'IdListError';
}

export interface IdList {
  ids: string[];
  /** The header line that was skipped, if any. */
  header: string | null;
  /** Ids listed more than once (kept once in `ids`). */
  duplicates: string[];
}

function firstField(line: string): string {
  const t = line.trim();
  if (t.startsWith('"')) {
    const close = t.indexOf('"', 1);
    return close > 0 ? t.slice(1, close).trim() : t.slice(1).trim();
  }
  const cut = t.search(/[,;\t]/);
  return (cut < 0 ? t : t.slice(0, cut)).trim();
}

// A header's first cell names the column: "ImageId", "image_id", "id", ...; an image id always carries a digit.
function looksLikeHeader(cell: string): boolean {
  return /^(image[ _-]?id|id|image|imageids)$/i.test(cell) || !/\d/.test(cell);
}

export function parseIdList(text: string, file = 'id list'): IdList {
  const lines = text.replace(/^\uFEFF/, '').split(/\r\n|\n|\r/);
  const ids: string[] = [];
  const seen = new Set<string>();
  const duplicates = new Set<string>();
  let header: string | null = null;
  let first = true;
  for (const line of lines) {
    if (line.trim() === '') continue;
    const cell = firstField(line);
    if (first) {
      first = false;
      if (looksLikeHeader(cell)) {
        header = line.trim();
        continue;
      }
    }
    if (cell === '') continue;
    if (seen.has(cell)) duplicates.add(cell);
    else {
      seen.add(cell);
      ids.push(cell);
    }
  }
  if (ids.length === 0) throw new IdListError(file, 'holds no image ids');
  return { ids, header, duplicates: [...duplicates] };
}

export async function readIdList(file: string): Promise<IdList> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    throw new IdListError(file, `cannot be read (${fileErrorReason(err)})`);
  }
  return parseIdList(text, file);
}
