// One file over HTTP(S), safely: streamed into `FILE.part` beside the target, resumed with an HTTP
// Range request when a part is already there (a cut connection costs only what was not yet received),
// hashed with SHA-256 as it arrives, checked against the published digest (or its leading digits,
// as torch.hub names files), and only then renamed into place. A corrupt download is deleted, never
// cached; an interrupted one stays as the part for the next attempt.
import { createHash, type Hash } from 'node:crypto';
import { createReadStream, existsSync, statSync } from 'node:fs';
import { open, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import { fsyncFolder } from '../atomic-file.js';

export class DownloadError extends Error {
  override name = 'DownloadError';
  constructor(
    message: string,
    /** True when the server could not be reached at all (offline, refused, unknown host). */
    readonly unreachable = false,
  ) {
    super(message);
  }
}

export interface DownloadOptions {
  /** Bytes received so far (a resumed part included) and the total when the server says it. */
  onProgress?: (received: number, total: number | null) => void;
  signal?: AbortSignal;
}

export interface DownloadResult {
  /** The whole SHA-256 of the file, in hex. */
  sha256: string;
  bytes: number;
  /** Bytes already on disk from an earlier, interrupted attempt. */
  resumedFrom: number;
}

/** Whether a full hex digest satisfies an expected digest or leading part of one. */
export function digestMatches(digest: string, expected: string): boolean {
  return expected.length > 0 && digest.startsWith(expected.toLowerCase());
}

async function hashFile(file: string, hash: Hash): Promise<void> {
  for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
}

/** The SHA-256 of a file on disk, in hex. */
export async function sha256OfFile(file: string): Promise<string> {
  const hash = createHash('sha256');
  await hashFile(file, hash);
  return hash.digest('hex');
}

function reasonOf(err: unknown): string {
  const cause = (err as { cause?: { code?: string; message?: string } }).cause;
  return cause?.code ?? cause?.message ?? (err as Error).message;
}

async function request(url: string, from: number, signal?: AbortSignal): Promise<Response> {
  try {
    return await fetch(url, { headers: from > 0 ? { Range: `bytes=${from}-` } : {}, redirect: 'follow', signal });
  } catch (err) {
    throw new DownloadError(`cannot reach ${url} (${reasonOf(err)})`, true);
  }
}

/** Downloads `url` to `file` (see the file comment). The folder of `file` must exist. */
export async function downloadVerified(
  url: string,
  file: string,
  expectedSha256: string | null,
  options: DownloadOptions = {},
): Promise<DownloadResult> {
  const part = `${file}.part`;
  let have = existsSync(part) ? statSync(part).size : 0;
  let response = await request(url, have, options.signal);
  // A part the server cannot continue (no range support, or a part as long as the file or longer):
  // start again from nothing rather than trust it.
  if (have > 0 && response.status !== 206) {
    await response.body?.cancel();
    have = 0;
    response = await request(url, 0, options.signal);
  }
  if (response.status !== 200 && response.status !== 206) {
    await response.body?.cancel();
    throw new DownloadError(`HTTP ${response.status} ${response.statusText} from ${url}`);
  }
  let total: number | null = null;
  if (response.status === 206) {
    const range = /^bytes (\d+)-\d+\/(\d+|\*)$/.exec(response.headers.get('content-range') ?? '');
    if (!range || Number(range[1]) !== have) {
      await response.body?.cancel();
      throw new DownloadError(
        `${url}: the server resumed at the wrong place (${response.headers.get('content-range')})`,
      );
    }
    total = range[2] === '*' ? null : Number(range[2]);
  } else {
    const length = response.headers.get('content-length');
    total = length === null ? null : Number(length);
  }
  const hash = createHash('sha256');
  if (have > 0) await hashFile(part, hash);
  const resumedFrom = have;
  const handle = await open(part, have > 0 ? 'a' : 'w');
  let received = have;
  try {
    options.onProgress?.(received, total);
    if (response.body)
      for await (const chunk of response.body) {
        const bytes = chunk as Uint8Array;
        await handle.write(bytes);
        hash.update(bytes);
        received += bytes.byteLength;
        options.onProgress?.(received, total);
      }
    await handle.sync();
  } catch (err) {
    throw new DownloadError(
      `download of ${url} interrupted after ${received} bytes (${reasonOf(err)}); run again to resume`,
    );
  } finally {
    await handle.close();
  }
  if (total !== null && received !== total)
    throw new DownloadError(`download of ${url} ended after ${received} of ${total} bytes; run again to resume`);
  const sha256 = hash.digest('hex');
  if (expectedSha256 !== null && !digestMatches(sha256, expectedSha256)) {
    await rm(part, { force: true });
    throw new DownloadError(
      `${url}: SHA-256 ${sha256.slice(0, 16)}... does not match the published ${expectedSha256}; the corrupt download was deleted`,
    );
  }
  await rename(part, file);
  fsyncFolder(path.dirname(file));
  return { sha256, bytes: received, resumedFrom };
}
