// The store folder: the database, the uploaded DICOM files as received, and the derived pictures.
//   STORE/pneumo.sqlite (+ -wal, -shm)   STORE/instances/UID.dcm   STORE/derived/UID.overlay.png, UID.mask.png
import { mkdir, open, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import { randomBytes } from 'node:crypto';

export const DATABASE_FILE = 'pneumo.sqlite';
export const INSTANCES_DIR = 'instances';
export const DERIVED_DIR = 'derived';

export async function prepareStoreDir(dir: string): Promise<void> {
  await mkdir(path.join(dir, INSTANCES_DIR), { recursive: true });
  await mkdir(path.join(dir, DERIVED_DIR), { recursive: true });
}

/** The stored DICOM of a UID, relative to the store folder (the UID is validated before it names a file). */
export function instanceFile(uid: string): string {
  return path.join(INSTANCES_DIR, `${uid}.dcm`);
}

/**
 * Writes bytes whole or not at all: a temporary file, flushed, renamed into place. Asynchronous, so
 * the event loop goes on serving while the disk works.
 */
export async function writeFileDurably(file: string, bytes: Uint8Array): Promise<void> {
  const temporary = `${file}.${randomBytes(4).toString('hex')}.tmp`;
  try {
    const handle = await open(temporary, 'w');
    try {
      await handle.writeFile(bytes);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temporary, file);
  } catch (err) {
    await rm(temporary, { force: true });
    throw err;
  }
}
