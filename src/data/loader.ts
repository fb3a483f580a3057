// The training loader: batches of (N, 1, H, W) float images, 0/1 masks and labels, built in a pool
// of worker threads and prefetched, so that training does not wait on data. Which items an epoch
// visits comes from the sampler; the augmentation of an item depends only on (seed, epoch, position),
// so runs are reproducible whatever the number of workers. Bad items are skipped and reported in
// `stats.failures` and in the batch that would have held them.
import { availableParallelism } from 'node:os';
import { mkdir } from 'node:fs/promises';
import { WorkerPool, PoolClosedError, TaskTimeoutError, WorkerCrashedError } from './worker-pool.js';
import { sampleEpoch, shardEpoch, type SamplingOptions, type Shard } from './sampler.js';
import { parseAugmentConfig, type AugmentConfig } from './transforms/compose.js';
import { checkNormalization, IMAGENET_GRAY, type Normalization } from './transforms/normalize.js';
import type { ResizeMethod } from './transforms/resize.js';
import { modelInput, type ModelInput } from './model-input.js';
import type { BatchResult, BatchTask, ItemFailure, LoaderItem, PipelineConfig } from './loader-batch.js';

export type { LoaderItem, ItemFailure } from './loader-batch.js';

export interface Batch {
  ids: string[];
  /** N*1*H*W, normalised. */
  images: Float32Array;
  /** N*1*H*W, 0 or 1. */
  masks: Float32Array;
  /** N, 0 or 1. */
  labels: Float32Array;
  n: number;
  height: number;
  width: number;
  epoch: number;
  /** Index of the batch in its epoch (batches emptied by failures are skipped, so indices may jump). */
  index: number;
  /** Items of this batch that were skipped. */
  failures: ItemFailure[];
}

export interface LoaderOptions {
  /** Training size: square side, or width and height. */
  size: number | { width: number; height: number };
  batchSize: number;
  seed?: number;
  /** Worker threads; default: cores - 1 (at least 1, at most 4). */
  workers?: number;
  /** Batches requested ahead of the consumer; default 2 per worker. */
  prefetch?: number;
  /** Absent or null: no augmentation (validation, prediction). */
  augment?: AugmentConfig | null;
  normalize?: Normalization;
  /** Folder for the resized-image cache; absent: no cache. */
  cacheDir?: string | null;
  /** How epochs are sampled (see sampler.ts); 'sequential': every item once, in the given order. */
  sampling?: SamplingOptions | 'sequential';
  /** Data parallel: this rank's share of every epoch's order (see shardEpoch). */
  shard?: Shard;
  /** Drop the epoch's last, smaller batch (batch norm dislikes tiny batches). */
  dropLast?: boolean;
  resize?: ResizeMethod;
  /**
   * A batch taking longer (a file that hangs its decoder) is abandoned and its items retried one by
   * one, each with the same limit, so only the culprit is lost; 0 = no limit. Default 120 s.
   */
  taskTimeoutMs?: number;
  /** URL of a module exporting `readImage(path): Promise<GrayImage>`, loaded in the workers; default: image-source.ts. */
  readerModule?: string;
  /** Items of one batch in flight at once inside a worker. */
  itemConcurrency?: number;
}

export interface LoaderStats {
  batches: number;
  items: number;
  cacheHits: number;
  cacheMisses: number;
  cacheWriteFailures: number;
  failures: ItemFailure[];
}

export class LoaderError extends Error {
  override name = 'LoaderError';
}
export class LoaderClosedError extends LoaderError {
  override name = 'LoaderClosedError';
  constructor() {
    super('the loader was closed while an epoch was being read');
  }
}

export function defaultWorkerCount(): number {
  return Math.max(1, Math.min(4, availableParallelism() - 1));
}

export function formatFailure(f: ItemFailure): string {
  return `${f.imageId} (${f.path}): ${f.reason}`;
}

export class BatchLoader {
  readonly width: number;
  readonly height: number;
  readonly batchSize: number;
  readonly workers: number;
  readonly prefetch: number;
  private readonly stat: LoaderStats = {
    batches: 0,
    items: 0,
    cacheHits: 0,
    cacheMisses: 0,
    cacheWriteFailures: 0,
    failures: [],
  };

  private constructor(
    readonly items: readonly LoaderItem[],
    private readonly options: LoaderOptions,
    private readonly pool: WorkerPool<BatchTask, BatchResult>,
    /** The model-input contract the batches are made under (bundle.json records it). */
    readonly input: ModelInput,
    workers: number,
  ) {
    this.width = input.width;
    this.height = input.height;
    this.batchSize = options.batchSize;
    this.workers = workers;
    this.prefetch = options.prefetch ?? 2 * workers;
  }

  static async open(items: readonly LoaderItem[], options: LoaderOptions): Promise<BatchLoader> {
    const size = typeof options.size === 'number' ? { width: options.size, height: options.size } : options.size;
    for (const [what, v] of [
      ['width', size.width],
      ['height', size.height],
      ['batch size', options.batchSize],
    ] as const) {
      if (!Number.isInteger(v) || v < 1) throw new LoaderError(`Expected a positive integer ${what} but received ${v}`);
    }
    const workers = options.workers ?? defaultWorkerCount();
    if (!Number.isInteger(workers) || workers < 1)
      throw new LoaderError(`Expected a positive integer worker count but received ${workers}`);
    if (options.prefetch !== undefined && (!Number.isInteger(options.prefetch) || options.prefetch < 1)) {
      throw new LoaderError(`Expected a positive integer prefetch but received ${options.prefetch}`);
    }
    const normalize = options.normalize ?? IMAGENET_GRAY;
    checkNormalization(normalize);
    const config: PipelineConfig = {
      input: modelInput(size, normalize, options.resize ?? 'area'),
      seed: options.seed ?? 0,
      augment: options.augment ? parseAugmentConfig(options.augment) : null,
      cacheDir: options.cacheDir ?? null,
      itemConcurrency: options.itemConcurrency ?? 2,
      readerModule: options.readerModule ?? new URL('./image-source.js', import.meta.url).href,
    };
    if (config.cacheDir) await mkdir(config.cacheDir, { recursive: true });
    // Loading the image reader here keeps its native libraries (sharp) loaded in the main thread, so
    // that a worker exiting cannot unload them under the others (sharp#2263).
    try {
      await import(config.readerModule);
    } catch (err) {
      throw new LoaderError(
        `the image reader ${config.readerModule} cannot be loaded: ${(err as Error).message.split('\n')[0]}`,
      );
    }
    const pool = new WorkerPool<BatchTask, BatchResult>(new URL('./loader-worker.js', import.meta.url), {
      size: workers,
      workerData: config,
      taskTimeoutMs: options.taskTimeoutMs ?? 120_000,
    });
    try {
      await pool.whenReady();
    } catch (err) {
      await pool.close();
      throw new LoaderError(`the loader's workers could not start: ${(err as Error).message}`);
    }
    return new BatchLoader(items, options, pool, config.input, workers);
  }

  /** The item indices of an epoch, in order. */
  order(epoch: number): number[] {
    const { sampling, shard } = this.options;
    const order =
      sampling === 'sequential'
        ? this.items.map((_, i) => i)
        : sampleEpoch(this.items, epoch, this.options.seed ?? 0, sampling ?? {});
    return shard ? shardEpoch(order, shard) : order;
  }

  batchCount(epoch: number, order: readonly number[] = this.order(epoch)): number {
    return this.options.dropLast ? Math.floor(order.length / this.batchSize) : Math.ceil(order.length / this.batchSize);
  }

  /** Starts loading the epoch at once (call it before the previous epoch ends to keep workers busy). */
  epoch(epoch: number, order: readonly number[] = this.order(epoch)): EpochBatches {
    for (const i of order) {
      if (!Number.isInteger(i) || i < 0 || i >= this.items.length)
        throw new LoaderError(`epoch order holds ${i}, not an index of the ${this.items.length} items`);
    }
    return new EpochBatches(this, epoch, order, this.batchCount(epoch, order), this.prefetch);
  }

  get stats(): LoaderStats {
    return { ...this.stat, failures: [...this.stat.failures] };
  }

  get closed(): boolean {
    return this.pool.closed;
  }

  /** Worker threads alive (0 once closed). */
  get liveWorkers(): number {
    return this.pool.size;
  }

  /** Stops the workers (running batches may finish within a short grace period); pending epochs end with LoaderClosedError. */
  close(): Promise<void> {
    return this.pool.close();
  }

  /** @internal */
  async runBatch(epoch: number, index: number, order: readonly number[]): Promise<BatchResult> {
    const start = index * this.batchSize;
    const entries = order
      .slice(start, start + this.batchSize)
      .map((i, k) => ({ position: start + k, item: this.items[i] }));
    let result = await this.runTask({ epoch, index, entries });
    if (result instanceof Error) {
      // A worker died or hung on this batch: retry its items one by one, so that only the culprit is lost.
      const parts =
        entries.length > 1
          ? await Promise.all(entries.map((e) => this.runTask({ epoch, index, entries: [e] })))
          : [result];
      result = mergeResults(
        epoch,
        index,
        parts.map((part, k) => (part instanceof Error ? failedResult(epoch, index, [entries[k]], part) : part)),
      );
    }
    const s = this.stat;
    s.batches++;
    s.items += result.n;
    s.cacheHits += result.cacheHits;
    s.cacheMisses += result.cacheMisses;
    s.cacheWriteFailures += result.cacheWriteFailures;
    s.failures.push(...result.failures);
    return result;
  }

  /** The task's result; a crash or timeout as a value (it is retried); anything else that stops the pool is thrown. */
  private async runTask(task: BatchTask): Promise<BatchResult | Error> {
    try {
      return await this.pool.run(task);
    } catch (err) {
      if (err instanceof PoolClosedError) throw new LoaderClosedError();
      if (this.pool.broken) throw new LoaderError(`the loader's workers cannot run: ${(err as Error).message}`);
      if (err instanceof WorkerCrashedError || err instanceof TaskTimeoutError) return err;
      return failedResult(task.epoch, task.index, task.entries, err as Error);
    }
  }
}

function failedResult(epoch: number, index: number, entries: BatchTask['entries'], err: Error): BatchResult {
  const reason = `the worker failed on it: ${err.message}`;
  const empty = new Float32Array(0);
  const failures = entries.map(({ item }) => ({ imageId: item.imageId, path: item.path, reason }));
  return {
    epoch,
    index,
    n: 0,
    ids: [],
    positions: [],
    images: empty,
    masks: empty,
    labels: empty,
    cacheHits: 0,
    cacheMisses: 0,
    cacheWriteFailures: 0,
    failures,
  };
}

function mergeResults(epoch: number, index: number, parts: BatchResult[]): BatchResult {
  const concat = (arrays: Float32Array[]) => {
    const out = new Float32Array(arrays.reduce((s, a) => s + a.length, 0));
    let o = 0;
    for (const a of arrays) {
      out.set(a, o);
      o += a.length;
    }
    return out;
  };
  const sum = (f: (r: BatchResult) => number) => parts.reduce((s, r) => s + f(r), 0);
  return {
    epoch,
    index,
    n: sum((r) => r.n),
    ids: parts.flatMap((r) => r.ids),
    positions: parts.flatMap((r) => r.positions),
    images: concat(parts.map((r) => r.images)),
    masks: concat(parts.map((r) => r.masks)),
    labels: concat(parts.map((r) => r.labels)),
    failures: parts.flatMap((r) => r.failures),
    cacheHits: sum((r) => r.cacheHits),
    cacheMisses: sum((r) => r.cacheMisses),
    cacheWriteFailures: sum((r) => r.cacheWriteFailures),
  };
}

/** The batches of one epoch, in order, requested `prefetch` batches ahead of the consumer. */
export class EpochBatches implements AsyncIterableIterator<Batch> {
  private nextIndex = 0;
  private readonly inFlight: Promise<BatchResult>[] = [];
  private done = false;

  constructor(
    private readonly loader: BatchLoader,
    readonly epochNumber: number,
    private readonly order: readonly number[],
    readonly batchCount: number,
    private readonly prefetch: number,
  ) {
    this.fill();
  }

  private fill(): void {
    while (!this.done && this.inFlight.length < this.prefetch && this.nextIndex < this.batchCount) {
      const p = this.loader.runBatch(this.epochNumber, this.nextIndex++, this.order);
      // Abandoned batches (early return) must not surface as unhandled rejections.
      p.catch(() => {});
      this.inFlight.push(p);
    }
  }

  async next(): Promise<IteratorResult<Batch>> {
    while (!this.done && this.inFlight.length > 0) {
      let r: BatchResult;
      try {
        r = await this.inFlight.shift()!;
      } catch (err) {
        this.done = true;
        throw err;
      }
      this.fill();
      if (r.n === 0) continue;
      const { ids, images, masks, labels, n, epoch, index, failures } = r;
      return {
        done: false,
        value: {
          ids,
          images,
          masks,
          labels,
          n,
          epoch,
          index,
          failures,
          width: this.loader.width,
          height: this.loader.height,
        },
      };
    }
    this.done = true;
    return { done: true, value: undefined };
  }

  async return(): Promise<IteratorResult<Batch>> {
    this.done = true;
    this.inFlight.length = 0;
    return { done: true, value: undefined };
  }

  [Symbol.asyncIterator](): this {
    return this;
  }
}
