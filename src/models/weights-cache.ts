// The local cache of pretrained weights: `<cache>/weights/<file name of the URL>`, the cache being
// --cache, else $PNEUMO_CACHE, else ~/.cache/pneumo. Beside each verified file, `<file>.sha256` holds
// its digest, so a good file is neither hashed nor downloaded again. $PNEUMO_WEIGHTS_MIRROR (a base
// URL) serves the same file names from a local mirror instead of the publishers.
import { existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import path from 'node:path';
import { findWeights, type WeightsEntry } from './weights-catalog.js';
import {
  DownloadError,
  digestMatches,
  downloadVerified,
  sha256OfFile,
  type DownloadOptions,
} from './weights-download.js';

export function defaultCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  return env.PNEUMO_CACHE || path.join(homedir(), '.cache', 'pneumo');
}

export function weightsFileName(entry: WeightsEntry): string {
  return decodeURIComponent(new URL(entry.url).pathname.split('/').pop() || entry.name);
}

export function weightsPath(entry: WeightsEntry, cacheDir: string): string {
  return path.join(cacheDir, 'weights', weightsFileName(entry));
}

/** Where the file is fetched from: the publisher, or the mirror named by PNEUMO_WEIGHTS_MIRROR. */
export function downloadUrl(entry: WeightsEntry, env: NodeJS.ProcessEnv = process.env): string {
  const mirror = env.PNEUMO_WEIGHTS_MIRROR;
  return mirror ? `${mirror.replace(/\/+$/, '')}/${encodeURIComponent(weightsFileName(entry))}` : entry.url;
}

export interface CacheState {
  file: string;
  /** Present and verified (or, without a published hash, present with its recorded digest). */
  cached: boolean;
  /** Bytes of an interrupted download waiting to be resumed. */
  partialBytes: number;
}

function recordedDigest(file: string): string | null {
  try {
    return readFileSync(`${file}.sha256`, 'utf8').trim().split(/\s+/)[0];
  } catch {
    return null;
  }
}

export function cacheState(entry: WeightsEntry, cacheDir: string): CacheState {
  const file = weightsPath(entry, cacheDir);
  const digest = existsSync(file) ? recordedDigest(file) : null;
  const cached = digest !== null && (entry.sha256 === null || digestMatches(digest, entry.sha256));
  const partialBytes = existsSync(`${file}.part`) ? statSync(`${file}.part`).size : 0;
  return { file, cached, partialBytes };
}

export interface EnsureOptions extends DownloadOptions {
  cacheDir?: string;
  /** Download when missing (default true); false fails with where to put the file. */
  download?: boolean;
  env?: NodeJS.ProcessEnv;
}

export interface EnsureResult {
  file: string;
  /** What happened: already there, downloaded now, or resumed from a part. */
  action: 'cached' | 'downloaded' | 'resumed';
  sha256: string;
}

/**
 * The cached file of `entry`, downloading (or resuming) it first when needed. A file found without its
 * digest record is hashed once; one that fails its hash is deleted and fetched again.
 */
export async function ensureWeights(entry: WeightsEntry, options: EnsureOptions = {}): Promise<EnsureResult> {
  const env = options.env ?? process.env;
  const cacheDir = options.cacheDir ?? defaultCacheDir(env);
  const file = weightsPath(entry, cacheDir);
  const state = cacheState(entry, cacheDir);
  if (state.cached) return { file, action: 'cached', sha256: recordedDigest(file)! };
  if (existsSync(file)) {
    const digest = await sha256OfFile(file);
    if (entry.sha256 === null || digestMatches(digest, entry.sha256)) {
      writeFileSync(`${file}.sha256`, `${digest}  ${path.basename(file)}\n`);
      return { file, action: 'cached', sha256: digest };
    }
    if (options.download === false)
      throw new DownloadError(
        `${file} does not match the published SHA-256 ${entry.sha256} of weights ${entry.name}: replace it with the file from ${entry.url}`,
      );
    rmSync(file);
  }
  const url = downloadUrl(entry, env);
  const where = `put the file from ${entry.url} at ${file}`;
  if (options.download === false)
    throw new DownloadError(`weights ${entry.name} are not in the cache and downloading is off: ${where}`);
  mkdirSync(path.dirname(file), { recursive: true });
  try {
    const result = await downloadVerified(url, file, entry.sha256, options);
    writeFileSync(`${file}.sha256`, `${result.sha256}  ${path.basename(file)}\n`);
    return { file, action: result.resumedFrom > 0 ? 'resumed' : 'downloaded', sha256: result.sha256 };
  } catch (err) {
    if (err instanceof DownloadError && err.unreachable)
      throw new DownloadError(`weights ${entry.name}: ${err.message}; offline, ${where}`, true);
    throw err;
  }
}

/** Whether `--pretrained` names a file rather than catalog weights. */
export function isWeightsPath(spec: string): boolean {
  return /[\\/]/.test(spec) || /\.(safetensors|pth|pt|bin|ckpt|tar)$/i.test(spec) || existsSync(spec);
}

/**
 * The file `--pretrained SPEC` means for a model with encoder `encoder`: SPEC itself when it is a
 * path, else the cached (downloaded if needed) file of the catalog weights SPEC (`imagenet`: the
 * encoder's ImageNet weights).
 */
export async function resolvePretrained(
  spec: string,
  encoder: string,
  options: EnsureOptions = {},
): Promise<{ file: string; entry: WeightsEntry | null; action?: EnsureResult['action']; sha256?: string }> {
  if (isWeightsPath(spec)) return { file: spec, entry: null };
  const entry = findWeights(spec, encoder, options.env ?? process.env);
  const result = await ensureWeights(entry, options);
  return { file: result.file, entry, action: result.action, sha256: result.sha256 };
}
