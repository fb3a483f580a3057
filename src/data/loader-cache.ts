// The loader's disk cache of resized images and masks, one file per (image, target size):
// `<dir>/<imageId>-<W>x<H>.bin`. The file carries a key (image id, source size and mtime, target size,
// resize method, a hash of the RLE rows) and is used only when the key matches, so a changed source
// file or label is never served stale. Pixels are stored as 16-bit (a few KB more than 8-bit, exact for
// 12-bit sources) and masks as bytes. Writes go to a temporary file renamed into place, so readers
// never see half a file, even with several workers or processes writing the same entry.
import { readFile, rename, unlink, writeFile } from 'node:fs/promises';
import { threadId } from 'node:worker_threads';
import { endianness } from 'node:os';
import path from 'node:path';

// Typed-array views read the 16-bit samples in one go where the platform is little-endian (x86, ARM).
const LITTLE_ENDIAN = endianness() === 'LE';
let tmpCounter = 0;

const MAGIC = 0x434d4e50; // "PNMC" little-endian
const VERSION = 1;
const FIXED_HEADER = 16; // magic, version, width, height (u32 each), then key length (u32) and key

export interface CachedEntry {
  pixels: Float32Array;
  mask: Uint8Array;
}

/** FNV-1a over the rows, enough to notice a changed label. */
export function hashRows(rows: readonly string[]): string {
  let h = 0x811c9dc5;
  for (const row of rows) {
    for (let i = 0; i < row.length; i++) h = Math.imul(h ^ row.charCodeAt(i), 0x01000193);
    h = Math.imul(h ^ 10, 0x01000193);
  }
  return (h >>> 0).toString(16).padStart(8, '0');
}

export function cacheFile(dir: string, imageId: string, width: number, height: number): string {
  // Ids become file names: anything outside a safe set is replaced (the key inside the file still tells ids apart).
  return path.join(dir, `${imageId.replace(/[^A-Za-z0-9._-]/g, '_')}-${width}x${height}.bin`);
}

/** The entry, or null when the file is missing, stale (other key) or damaged. */
export async function readCacheEntry(
  file: string,
  key: string,
  width: number,
  height: number,
): Promise<CachedEntry | null> {
  let buf: Buffer;
  try {
    buf = await readFile(file);
  } catch {
    return null;
  }
  if (buf.length < FIXED_HEADER + 4 || buf.readUInt32LE(0) !== MAGIC || buf.readUInt32LE(4) !== VERSION) return null;
  if (buf.readUInt32LE(8) !== width || buf.readUInt32LE(12) !== height) return null;
  const keyLength = buf.readUInt32LE(16);
  const pixelsAt = align2(FIXED_HEADER + 4 + keyLength);
  const n = width * height;
  if (buf.length !== pixelsAt + 3 * n) return null;
  if (buf.toString('utf8', FIXED_HEADER + 4, FIXED_HEADER + 4 + keyLength) !== key) return null;
  const pixels = new Float32Array(n);
  if (LITTLE_ENDIAN && (buf.byteOffset + pixelsAt) % 2 === 0) {
    const samples = new Uint16Array(buf.buffer, buf.byteOffset + pixelsAt, n);
    for (let i = 0; i < n; i++) pixels[i] = samples[i] / 65535;
  } else {
    for (let i = 0; i < n; i++) pixels[i] = buf.readUInt16LE(pixelsAt + 2 * i) / 65535;
  }
  const mask = new Uint8Array(buf.buffer.slice(buf.byteOffset + pixelsAt + 2 * n, buf.byteOffset + pixelsAt + 3 * n));
  return { pixels, mask };
}

function align2(n: number): number {
  return (n + 1) & ~1;
}

export async function writeCacheEntry(
  file: string,
  key: string,
  width: number,
  height: number,
  entry: CachedEntry,
): Promise<void> {
  const keyBytes = Buffer.from(key, 'utf8');
  const pixelsAt = align2(FIXED_HEADER + 4 + keyBytes.length);
  const n = width * height;
  const buf = Buffer.alloc(pixelsAt + 3 * n);
  buf.writeUInt32LE(MAGIC, 0);
  buf.writeUInt32LE(VERSION, 4);
  buf.writeUInt32LE(width, 8);
  buf.writeUInt32LE(height, 12);
  buf.writeUInt32LE(keyBytes.length, 16);
  keyBytes.copy(buf, FIXED_HEADER + 4);
  const samples = new Uint16Array(n);
  for (let i = 0; i < n; i++) {
    const v = entry.pixels[i];
    samples[i] = Math.round((v < 0 ? 0 : v > 1 ? 1 : v) * 65535);
  }
  if (LITTLE_ENDIAN) buf.set(new Uint8Array(samples.buffer), pixelsAt);
  else for (let i = 0; i < n; i++) buf.writeUInt16LE(samples[i], pixelsAt + 2 * i);
  buf.set(entry.mask, pixelsAt + 2 * n);
  const tmp = `${file}.${process.pid}-${threadId}-${tmpCounter++}.tmp`;
  try {
    await writeFile(tmp, buf);
    await rename(tmp, file);
  } catch (err) {
    await unlink(tmp).catch(() => {});
    throw err;
  }
}
