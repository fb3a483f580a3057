// Files that are either the old version or the new one, never half written: write a temporary file
// beside the target, flush it to disk, rename it over the target (atomic on POSIX file systems), then
// flush the folder so that the rename itself survives a power cut.
import { closeSync, fsyncSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import path from 'node:path';

/** A temporary name beside `file`, hidden, unique to this call. */
export function temporaryPathFor(file: string): string {
  return path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
}

/** Flushes a folder, so that a rename in it survives a power cut (where the file system allows). */
export function fsyncFolder(folder: string): void {
  let fd: number | undefined;
  try {
    fd = openSync(folder, 'r');
    fsyncSync(fd);
  } catch {
    // Some file systems refuse to fsync a folder; the rename is still atomic there.
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/** Writes a file's content piece by piece, so that large data need not be joined in memory first. */
export type ContentWriter = (write: (bytes: Uint8Array) => void) => void;

/**
 * Writes `data` (or what `data` writes, piece by piece) to `file` atomically. `beforeRename` runs
 * between the flushed temporary file and the rename (tests use it to simulate a crash there); if
 * anything throws, the temporary file is removed and `file` keeps its previous content.
 */
export function writeFileAtomic(
  file: string,
  data: string | Uint8Array | ContentWriter,
  beforeRename?: () => void,
): void {
  const temporary = temporaryPathFor(file);
  try {
    const fd = openSync(temporary, 'w');
    try {
      const write = (bytes: Uint8Array) => {
        let written = 0;
        while (written < bytes.byteLength) written += writeSync(fd, bytes, written, bytes.byteLength - written);
      };
      if (typeof data === 'function') data(write);
      else write(typeof data === 'string' ? Buffer.from(data, 'utf8') : data);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    beforeRename?.();
    renameSync(temporary, file);
  } catch (err) {
    rmSync(temporary, { force: true });
    throw err;
  }
  fsyncFolder(path.dirname(file));
}

export function writeJsonAtomic(file: string, value: unknown, beforeRename?: () => void): void {
  writeFileAtomic(file, JSON.stringify(value, null, 2) + '\n', beforeRename);
}
