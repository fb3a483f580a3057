// Entry point of a loader worker thread: builds batches with the pipeline the loader configured.
import { workerData } from 'node:worker_threads';
import { serveTasks } from './worker-pool.js';
import { createBatchBuilder, type BatchResult, type BatchTask, type PipelineConfig } from './loader-batch.js';

const build = await createBatchBuilder(workerData as PipelineConfig);

serveTasks<BatchTask, BatchResult>(async (task) => {
  const result = await build(task);
  return {
    result,
    transfer: [
      result.images.buffer as ArrayBuffer,
      result.masks.buffer as ArrayBuffer,
      result.labels.buffer as ArrayBuffer,
    ],
  };
});
