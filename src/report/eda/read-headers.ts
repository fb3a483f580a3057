// Reads many DICOM headers concurrently. The work is I/O-bound (a few KiB per file, parsed in well
// under a millisecond), so a bounded number of reads in flight on the main thread keeps the disk busy
// without a worker pool; a file that cannot be read becomes an entry in `unreadable`, never an abort.
import { availableParallelism } from 'node:os';
import type { HeaderEntry, HeaderRecord, UnreadableFile } from './header-facts.js';
import { fileErrorMessage } from '../../file-error.js';

export interface ReadHeadersOptions {
  /** Reads in flight; default 32. */
  concurrency?: number;
  /** Called after each file, in completion order. */
  onProgress?: (done: number, total: number) => void;
  /** The header reader (the DICOM module's readDicomHeader; injectable for tests). */
  read: (file: string) => Promise<HeaderRecord>;
}

export async function readHeaders(
  files: readonly string[],
  options: ReadHeadersOptions,
): Promise<{ entries: HeaderEntry[]; unreadable: UnreadableFile[] }> {
  const concurrency = Math.max(1, options.concurrency ?? Math.max(32, availableParallelism() * 4));
  const results: (HeaderEntry | UnreadableFile)[] = new Array(files.length);
  let next = 0;
  let done = 0;
  const worker = async () => {
    for (let i = next++; i < files.length; i = next++) {
      const path = files[i];
      try {
        results[i] = { path, header: await options.read(path) };
      } catch (err) {
        results[i] = { path, reason: fileErrorMessage(err, path).split('\n')[0] };
      }
      options.onProgress?.(++done, files.length);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, files.length) }, worker));
  // Results keep the order of `files`, whatever order the reads finished in.
  const entries: HeaderEntry[] = [];
  const unreadable: UnreadableFile[] = [];
  for (const r of results) {
    if ('header' in r) entries.push(r);
    else unreadable.push(r);
  }
  return { entries, unreadable };
}
