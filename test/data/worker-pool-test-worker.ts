// A worker script for the pool tests: each task names a behaviour.
import { threadId } from 'node:worker_threads';
import { serveTasks } from '../../src/data/worker-pool.js';

export type TestTask =
  | { kind: 'double'; values: Float32Array }
  | { kind: 'throw'; message: string }
  | { kind: 'exit'; code: number }
  | { kind: 'spin' }
  | { kind: 'sleep'; ms: number };

serveTasks<TestTask, { threadId: number; values?: Float32Array }>(async (task) => {
  switch (task.kind) {
    case 'double': {
      const values = task.values.map((v) => 2 * v);
      return { result: { threadId, values }, transfer: [values.buffer] };
    }
    case 'throw':
      throw new Error(task.message);
    case 'exit':
      process.exit(task.code);
      break;
    case 'spin':
      for (;;);
    case 'sleep':
      await new Promise((r) => setTimeout(r, task.ms));
      break;
  }
  return { result: { threadId } };
});
