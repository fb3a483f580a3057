// The images a prediction run is asked about: files, folders (searched recursively) and list files
// (`@list.txt` on the command line, or --list FILE: one path per line, relative paths taken from the
// list's folder, `#` starting a comment). Every input that cannot be used is reported with its reason;
// the others go on.
import { readdir, readFile, stat, open } from 'node:fs/promises';
import path from 'node:path';
import { sniffImageFormat } from '../data/image-io.js';
import { fileErrorReason } from '../file-error.js';

const IMAGE_EXTENSION = /\.(dcm|dicom|png|jpe?g)$/i;

export interface InputProblem {
  input: string;
  reason: string;
}

export interface CollectedInputs {
  /** Absolute paths, in the order given, folders expanded in sorted order, each file once. */
  files: string[];
  problems: InputProblem[];
}

async function sniffsAsImage(file: string): Promise<boolean> {
  const handle = await open(file, 'r').catch(() => null);
  if (!handle) return false;
  try {
    const head = Buffer.alloc(132);
    const { bytesRead } = await handle.read(head, 0, head.length, 0);
    return sniffImageFormat(new Uint8Array(head.buffer, head.byteOffset, bytesRead)) !== null;
  } finally {
    await handle.close();
  }
}

/** Image files below a folder: known extensions, plus extension-less files that are images by content. */
async function walk(dir: string, into: string[]): Promise<void> {
  const entries = await readdir(dir, { withFileTypes: true });
  entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const entry of entries) {
    const full = path.join(dir, entry.name);
    const info = entry.isSymbolicLink() ? await stat(full).catch(() => null) : entry;
    if (!info) continue;
    if (info.isDirectory()) await walk(full, into);
    else if (info.isFile()) {
      if (IMAGE_EXTENSION.test(entry.name)) into.push(full);
      else if (!path.extname(entry.name) && !entry.name.startsWith('.') && (await sniffsAsImage(full))) into.push(full);
    }
  }
}

async function readList(listFile: string, problems: InputProblem[]): Promise<string[]> {
  let text: string;
  try {
    text = await readFile(listFile, 'utf8');
  } catch (err) {
    problems.push({
      input: listFile,
      reason: `list file cannot be read (${fileErrorReason(err)})`,
    });
    return [];
  }
  const base = path.dirname(path.resolve(listFile));
  return text
    .replace(/^\uFEFF/, '')
    .split(/\r\n|\n|\r/)
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'))
    .map((line) => path.resolve(base, line));
}

/** Expands inputs (files, folders, `@list`) and list files into image files. */
export async function collectInputs(
  inputs: readonly string[],
  listFiles: readonly string[] = [],
): Promise<CollectedInputs> {
  const problems: InputProblem[] = [];
  const expanded: string[] = [];
  for (const input of inputs) {
    if (input.startsWith('@')) expanded.push(...(await readList(input.slice(1), problems)));
    else expanded.push(path.resolve(input));
  }
  for (const list of listFiles) expanded.push(...(await readList(list, problems)));
  const files: string[] = [];
  const seen = new Set<string>();
  const add = (file: string) => {
    if (!seen.has(file)) {
      seen.add(file);
      files.push(file);
    }
  };
  for (const input of expanded) {
    const info = await stat(input).catch(() => null);
    if (!info) problems.push({ input, reason: 'no such file or folder' });
    else if (info.isDirectory()) {
      const found: string[] = [];
      await walk(input, found);
      if (found.length === 0) problems.push({ input, reason: 'folder holds no DICOM, PNG or JPEG file' });
      found.forEach(add);
    } else add(input);
  }
  return { files, problems };
}
