// What a loader worker does with one batch: for each item, the model-input plane and mask (from the
// disk cache, or decoded through the model-input contract, the mask RLE-decoded at the image's own
// size and resized), then the augmentation seeded by (seed, epoch, position in the epoch), so the
// result does not depend on which worker ran it, then the contract's normalisation straight into the
// batch tensors. A bad item is skipped and reported, never fatal.
import { stat } from 'node:fs/promises';
import type { GrayImage, Mask } from './image.js';
import { decodeRleRows } from './rle.js';
import { Rng } from './random.js';
import { buildAugmentation, type AugmentConfig, type Compose } from './transforms/compose.js';
import { resizeMask } from './transforms/resize.js';
import { inputPixels, normalizeInput, type ModelInput } from './model-input.js';
import { readInputPixels } from './model-input-file.js';
import type { DatasetItem } from './dataset.js';
import { cacheFile, hashRows, readCacheEntry, writeCacheEntry, type CachedEntry } from './loader-cache.js';
import { fileErrorMessage } from '../file-error.js';

/** What the loader needs of a dataset item; a `DatasetItem` from the dataset index passes as it is. */
export type LoaderItem = Pick<DatasetItem, 'imageId' | 'path' | 'label' | 'rleRows'>;

export interface PipelineConfig {
  input: ModelInput;
  seed: number;
  augment: AugmentConfig | null;
  cacheDir: string | null;
  /** Items of one batch decoded at once inside a worker, so file reading overlaps the transforms. */
  itemConcurrency: number;
  /** URL of the module whose `readImage(path)` decodes files (image-source.ts unless given). */
  readerModule: string;
}

/** Where the default reader module is, so the contract's own file reading is used for it. */
const DEFAULT_READER = new URL('./image-source.js', import.meta.url).href;

type ReadImage = (path: string) => Promise<GrayImage>;

/** A reader module (image-source.ts, or a test's): `readImage(path)` decodes a file. */
interface Reader {
  readImage: ReadImage;
}

export interface BatchTask {
  epoch: number;
  index: number;
  entries: { position: number; item: LoaderItem }[];
}

export interface ItemFailure {
  imageId: string;
  path: string;
  reason: string;
}

export interface BatchResult {
  epoch: number;
  index: number;
  n: number;
  ids: string[];
  /** Where each image sits in the epoch's order. */
  positions: number[];
  images: Float32Array;
  masks: Float32Array;
  labels: Float32Array;
  failures: ItemFailure[];
  cacheHits: number;
  cacheMisses: number;
  cacheWriteFailures: number;
}

interface Counters {
  cacheHits: number;
  cacheMisses: number;
  cacheWriteFailures: number;
}

export async function createBatchBuilder(config: PipelineConfig): Promise<(task: BatchTask) => Promise<BatchResult>> {
  const augmentation = config.augment ? buildAugmentation(config.augment) : null;
  const { readImage } = (await import(config.readerModule)) as Reader;
  return (task) => buildBatch(task, config, augmentation, { readImage });
}

async function loadResized(
  item: LoaderItem,
  config: PipelineConfig,
  counters: Counters,
  reader: Reader,
): Promise<CachedEntry> {
  const { input } = config;
  const { width, height } = input;
  let cache: { file: string; key: string } | null = null;
  if (config.cacheDir) {
    const source = await stat(item.path);
    const key = [
      item.imageId,
      source.size,
      source.mtimeMs,
      `${width}x${height}`,
      input.resize,
      hashRows(item.rleRows),
    ].join('\n');
    cache = { file: cacheFile(config.cacheDir, item.imageId, width, height), key };
    const hit = await readCacheEntry(cache.file, key, width, height);
    if (hit) {
      counters.cacheHits++;
      return hit;
    }
    counters.cacheMisses++;
  }
  let pixels: Float32Array;
  let full: Mask;
  if (config.readerModule === DEFAULT_READER) {
    const read = await readInputPixels(item.path, input);
    pixels = read.pixels;
    full = decodeRleRows(item.rleRows, read.sourceWidth, read.sourceHeight, item.imageId);
  } else {
    const image = await reader.readImage(item.path);
    full = decodeRleRows(item.rleRows, image.width, image.height, item.imageId);
    pixels = inputPixels(image, input);
  }
  const entry = { pixels, mask: resizeMask(full, width, height).data };
  if (cache) {
    try {
      await writeCacheEntry(cache.file, cache.key, width, height, entry);
    } catch {
      counters.cacheWriteFailures++;
    }
  }
  return entry;
}

async function buildBatch(
  task: BatchTask,
  config: PipelineConfig,
  augmentation: Compose | null,
  reader: Reader,
): Promise<BatchResult> {
  const { width, height } = config.input;
  const plane = width * height;
  const count = task.entries.length;
  const images = new Float32Array(count * plane);
  const masks = new Float32Array(count * plane);
  const labels = new Float32Array(count);
  const ok = new Uint8Array(count);
  const failures: ItemFailure[] = [];
  const counters: Counters = { cacheHits: 0, cacheMisses: 0, cacheWriteFailures: 0 };

  const loadOne = async (slot: number): Promise<void> => {
    const { position, item } = task.entries[slot];
    try {
      const entry = await loadResized(item, config, counters, reader);
      let pixels = entry.pixels;
      let mask = entry.mask;
      if (augmentation) {
        const out = augmentation.apply(
          { image: { width, height, pixels }, mask: { width, height, data: mask } },
          Rng.derive(config.seed, task.epoch, position),
        );
        pixels = out.image.pixels;
        mask = out.mask!.data;
      }
      normalizeInput(pixels, config.input, images, slot * plane);
      const offset = slot * plane;
      for (let i = 0; i < plane; i++) masks[offset + i] = mask[i];
      labels[slot] = item.label;
      ok[slot] = 1;
    } catch (err) {
      failures.push({
        imageId: item.imageId,
        path: item.path,
        reason: fileErrorMessage(err, item.path),
      });
    }
  };

  let next = 0;
  const lanes = Array.from({ length: Math.max(1, Math.min(config.itemConcurrency, count)) }, async () => {
    while (next < count) await loadOne(next++);
  });
  await Promise.all(lanes);

  // Close the gaps left by failed items (rare), keeping the epoch order.
  const ids: string[] = [];
  const positions: number[] = [];
  let n = 0;
  for (let slot = 0; slot < count; slot++) {
    if (!ok[slot]) continue;
    if (n !== slot) {
      images.copyWithin(n * plane, slot * plane, (slot + 1) * plane);
      masks.copyWithin(n * plane, slot * plane, (slot + 1) * plane);
      labels[n] = labels[slot];
    }
    ids.push(task.entries[slot].item.imageId);
    positions.push(task.entries[slot].position);
    n++;
  }
  const trim = <T extends Float32Array>(a: T, length: number): T =>
    length === a.length ? a : (a.slice(0, length) as T);
  return {
    epoch: task.epoch,
    index: task.index,
    n,
    ids,
    positions,
    images: trim(images, n * plane),
    masks: trim(masks, n * plane),
    labels: trim(labels, n),
    failures,
    ...counters,
  };
}
