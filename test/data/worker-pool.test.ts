import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  PoolClosedError,
  TaskTimeoutError,
  WorkerCrashedError,
  WorkerPool,
  WorkerTaskError,
} from '../../src/data/worker-pool.js';
import type { TestTask } from './worker-pool-test-worker.js';

const script = new URL('./worker-pool-test-worker.js', import.meta.url);
type Out = { threadId: number; values?: Float32Array };

test('tasks spread over the workers, and buffers are transferred both ways, not copied', async () => {
  const pool = new WorkerPool<TestTask, Out>(script, { size: 2 });
  try {
    await pool.whenReady();
    const inputs = Array.from({ length: 6 }, (_, i) => Float32Array.of(i, i + 0.5));
    const runs = inputs.map((values) => pool.run({ kind: 'double', values }, [values.buffer]));
    const results = await Promise.all(runs);
    // Transferred: the sender's views are detached.
    for (const v of inputs) assert.equal(v.byteLength, 0);
    results.forEach((r, i) => assert.deepEqual(Array.from(r.values!), [2 * i, 2 * i + 1]));
    assert.equal(new Set(results.map((r) => r.threadId)).size, 2);
  } finally {
    await pool.close();
  }
});

test('a throwing task rejects with its message; a crashing or overrunning worker is replaced', async () => {
  const pool = new WorkerPool<TestTask, Out>(script, { size: 1, taskTimeoutMs: 1000 });
  try {
    await assert.rejects(
      pool.run({ kind: 'throw', message: 'bad pixels' }),
      (e: Error) => e instanceof WorkerTaskError && e.message === 'bad pixels',
    );
    const before = (await pool.run({ kind: 'sleep', ms: 0 })).threadId;
    for (let i = 0; i < 4; i++)
      await assert.rejects(
        pool.run({ kind: 'exit', code: 7 }),
        (e: Error) => e instanceof WorkerCrashedError && /code 7/.test(e.message),
      );
    const after = (await pool.run({ kind: 'sleep', ms: 0 })).threadId;
    assert.notEqual(after, before);
    await assert.rejects(pool.run({ kind: 'spin' }), TaskTimeoutError);
    assert.equal((await pool.run({ kind: 'double', values: Float32Array.of(1) })).values![0], 2);
    assert.equal(pool.size, 1);
  } finally {
    await pool.close();
  }
});

test('a worker that keeps crashing stops the pool with the reason instead of respawning forever, while task crashes never stop it', async () => {
  const pool = new WorkerPool<TestTask, Out>(new URL('./no-such-worker.js', import.meta.url), {
    size: 1,
    maxStartupFailures: 2,
  });
  try {
    // However the crashes and the tasks interleave, the pool ends up refusing with the reason.
    const errors: Error[] = [];
    for (let i = 0; i < 3; i++)
      errors.push(
        await pool.run({ kind: 'sleep', ms: 0 }).then(
          () => new Error('ran'),
          (e: Error) => e,
        ),
      );
    assert.ok(errors.every((e) => e instanceof WorkerCrashedError && /Cannot find module/.test(e.message)));
    assert.match(errors[2].message, /failed to start 2 times in a row/);
    assert.equal(pool.size, 0);
  } finally {
    await pool.close();
  }
});

test('close ends every worker, rejects queued tasks, and lets a running one finish within the grace period', async () => {
  const pool = new WorkerPool<TestTask, Out>(script, { size: 2, closeGraceMs: 2000 });
  const running = [0, 1, 2].map(() =>
    pool.run({ kind: 'sleep', ms: 200 }).then(
      () => 'finished',
      (e: Error) => e,
    ),
  );
  await new Promise((r) => setTimeout(r, 50));
  const started = Date.now();
  await pool.close();
  for (const r of running) assert.ok((await r) instanceof PoolClosedError);
  assert.equal(pool.size, 0);
  assert.equal(pool.pending, 0);
  assert.ok(Date.now() - started < 1500);
  await assert.rejects(pool.run({ kind: 'sleep', ms: 0 }), PoolClosedError);
  // A spinning worker cannot finish: the grace period ends it.
  const stuck = new WorkerPool<TestTask, Out>(script, { size: 1, closeGraceMs: 100 });
  const spin = stuck.run({ kind: 'spin' }).catch((e: Error) => e);
  await new Promise((r) => setTimeout(r, 50));
  await stuck.close();
  assert.ok((await spin) instanceof PoolClosedError);
  assert.equal(stuck.size, 0);
});
