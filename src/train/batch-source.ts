// Where the loop gets its batches: the real loader (worker threads, prefetch) or, for tests and
// benchmarks, batches held in memory. Both yield the loader's Batch.
import type { Batch, BatchLoader } from '../data/loader.js';
import type { ModelInput } from '../data/model-input.js';

export interface BatchSource {
  /** The model-input contract the batches were made under; in-memory sources have none. */
  input?: ModelInput;
  /** Batches the loop will take in this epoch (0-based). */
  batchCount(epoch: number): number;
  batches(epoch: number): AsyncIterable<Batch>;
  close(): Promise<void>;
}

/** The loader's epochs, cut at `maxBatches` when given (smoke runs). */
export function loaderSource(loader: BatchLoader, maxBatches: number | null = null): BatchSource {
  const cap = (n: number) => (maxBatches === null ? n : Math.min(n, maxBatches));
  return {
    input: loader.input,
    batchCount: (epoch) => cap(loader.batchCount(epoch)),
    async *batches(epoch) {
      let taken = 0;
      const limit = cap(loader.batchCount(epoch));
      const iterator = loader.epoch(epoch);
      try {
        for await (const batch of iterator) {
          if (taken >= limit) break;
          taken++;
          yield batch;
        }
      } finally {
        await iterator.return();
      }
    },
    close: () => loader.close(),
  };
}

/** Fixed batches, the same every epoch, or chosen per epoch by `pick`. */
export function memorySource(batches: readonly Batch[] | ((epoch: number) => readonly Batch[])): BatchSource {
  const of = (epoch: number) => (typeof batches === 'function' ? batches(epoch) : batches);
  return {
    batchCount: (epoch) => of(epoch).length,
    async *batches(epoch) {
      yield* of(epoch);
    },
    close: async () => {},
  };
}
