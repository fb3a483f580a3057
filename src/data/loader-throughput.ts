// Loader throughput, for `pneumo bench loader` and `pneumo bench train` (images/s of a full epoch with
// the real loader): a cold epoch (empty cache, worker start-up included) and a cached one.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { BatchLoader, type LoaderItem, type LoaderOptions } from './loader.js';

export interface ThroughputResult {
  workers: number;
  images: number;
  failures: number;
  coldImagesPerSecond: number;
  cachedImagesPerSecond: number;
  /** Time the consumer spent waiting for the first batch of the cached epoch, in ms. */
  cachedFirstBatchMs: number;
}

async function timeEpoch(
  loader: BatchLoader,
  epoch: number,
  since: number,
): Promise<{ images: number; seconds: number; firstBatchMs: number }> {
  let images = 0;
  let firstBatchMs = -1;
  for await (const batch of loader.epoch(epoch)) {
    if (firstBatchMs < 0) firstBatchMs = performance.now() - since;
    images += batch.n;
  }
  return { images, seconds: (performance.now() - since) / 1000, firstBatchMs };
}

/**
 * Runs two epochs over `items` with a fresh cache folder (removed afterwards unless `options.cacheDir`
 * is given): the first cold, the second served from the cache.
 */
export async function measureLoaderThroughput(
  items: readonly LoaderItem[],
  options: LoaderOptions,
): Promise<ThroughputResult> {
  const ownCache = !options.cacheDir;
  const cacheDir = options.cacheDir ?? (await mkdtemp(path.join(tmpdir(), 'pneumo-loader-cache-')));
  try {
    const started = performance.now();
    const loader = await BatchLoader.open(items, { ...options, cacheDir });
    try {
      const cold = await timeEpoch(loader, 0, started);
      const cached = await timeEpoch(loader, 1, performance.now());
      return {
        workers: loader.workers,
        images: cold.images,
        failures: loader.stats.failures.length,
        coldImagesPerSecond: cold.images / cold.seconds,
        cachedImagesPerSecond: cached.images / cached.seconds,
        cachedFirstBatchMs: cached.firstBatchMs,
      };
    } finally {
      await loader.close();
    }
  } finally {
    if (ownCache) await rm(cacheDir, { recursive: true, force: true });
  }
}
