// Data-parallel training is the same training: two ranks (processes over loopback, c10d Gloo) with
// batch B each end, after two epochs of SGD with momentum, with the weights of one process with batch 2B
// on the same epoch order; both ranks hold the same weights (rank 1 started from other ones); only
// rank 0 writes a run folder; validation, sharded across the ranks (5 and 4 images), gives the metrics
// of the 1-process run on every rank. With batch norm and sync batch norm, the statistics agree too.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort } from '../../bench/support/free-port.js';
import { rankEnv, runRank } from '../torch/distributed/spawn-rank.js';

const RANK_SCRIPT = fileURLToPath(new URL('./data-parallel-rank.js', import.meta.url));
const root = mkdtempSync(path.join(tmpdir(), 'pneumo-ddp-'));
test.after(() => rmSync(root, { recursive: true, force: true }));

type Weights = Record<string, number[]>;

function maxDifference(a: Weights, b: Weights): number {
  let max = 0;
  for (const name of Object.keys(a)) {
    assert.equal(a[name].length, b[name]?.length, name);
    a[name].forEach((v, i) => (max = Math.max(max, Math.abs(v - b[name][i]))));
  }
  return max;
}

/** Both ranks, then the single process, of one variant; their reports. */
async function trainBoth(variant: string[]) {
  const port = await freePort();
  const name = variant.join('-') || 'plain';
  const twoRanks = path.join(root, `two-${name}`);
  const ranks = await Promise.all([0, 1].map((r) => runRank([RANK_SCRIPT, twoRanks, ...variant], rankEnv(r, 2, port))));
  for (const r of ranks) assert.equal(r.code, 0, r.stderr);
  const single = await runRank([RANK_SCRIPT, path.join(root, `one-${name}`), ...variant], {
    ...process.env,
    WORLD_SIZE: '1',
  });
  assert.equal(single.code, 0, single.stderr);
  const [rank0, rank1] = ranks.map((r) => r.report!);
  return { twoRanks, rank0, rank1, one: single.report! };
}

test('2 ranks x batch B train to the weights of 1 process x batch 2B', async () => {
  const { twoRanks, rank0, rank1, one } = await trainBoth([]);
  assert.equal(rank0.steps, 3, 'three steps per epoch on each rank');
  assert.equal(one.steps, 3);
  assert.ok(maxDifference(rank0.initial as Weights, rank1.initial as Weights) > 0.01, 'the ranks start apart');
  assert.ok(maxDifference(rank0.weights as Weights, rank0.initial as Weights) > 1e-3, 'training moved the weights');
  assert.equal(maxDifference(rank0.weights as Weights, rank1.weights as Weights), 0, 'the ranks agree exactly');
  const difference = maxDifference(rank0.weights as Weights, one.weights as Weights);
  assert.ok(difference < 1e-5, `2 x B vs 1 x 2B differ by ${difference}`);
  (rank0.trainLoss as number[]).forEach((loss, e) =>
    assert.ok(Math.abs(loss - (one.trainLoss as number[])[e]) < 1e-6, 'the epoch loss is over both shares'),
  );
  // Validation is sharded (5 and 4 of 9 images) and gathered: the metrics of the whole set, on every rank.
  type Metrics = Record<string, number | null>[];
  const validation = one.validation as Metrics;
  assert.equal(validation.length, 2);
  assert.ok(validation.every((v) => typeof v.auc === 'number' && typeof v.accuracy === 'number'));
  for (const report of [rank0, rank1]) {
    (report.validation as Metrics).forEach((metrics, e) => {
      for (const [name, value] of Object.entries(validation[e]))
        assert.ok(
          Math.abs((metrics[name] as number) - (value as number)) < 1e-6,
          `epoch ${e + 1} validation ${name}: ${metrics[name]} on 2 ranks, ${value} in 1 process`,
        );
      assert.deepEqual(Object.keys(metrics).sort(), Object.keys(validation[e]).sort());
    });
    assert.ok(Math.abs((report.threshold as number) - (one.threshold as number)) < 1e-6, 'the proposed threshold');
  }
  assert.ok(existsSync(path.join(twoRanks, 'rank-0', 'checkpoints', 'last.json')));
  assert.ok(existsSync(path.join(twoRanks, 'rank-0', 'run.json')));
  assert.ok(!existsSync(path.join(twoRanks, 'rank-1')), 'rank 1 writes nothing');
});

test('with sync batch norm, 2 ranks x B match 1 process x 2B in weights and batch-norm statistics', async () => {
  const { rank0, rank1, one } = await trainBoth(['bn']);
  assert.equal(rank0.steps, 3);
  assert.ok(maxDifference(rank0.weights as Weights, rank0.initial as Weights) > 1e-3, 'training moved the weights');
  const buffers = rank0.buffers as Weights;
  assert.deepEqual(Object.keys(buffers).sort(), Object.keys(one.buffers as Weights).sort(), 'the same state names');
  assert.deepEqual(buffers['body.1.num_batches_tracked'], [6], 'six steps tracked');
  assert.ok(
    buffers['body.1.running_var'].some((v) => Math.abs(v - 1) > 0.05),
    'the running variance moved away from its start',
  );
  assert.equal(maxDifference(rank0.weights as Weights, rank1.weights as Weights), 0, 'the ranks agree exactly');
  assert.equal(maxDifference(buffers, rank1.buffers as Weights), 0, 'and in their statistics');
  const weights = maxDifference(rank0.weights as Weights, one.weights as Weights);
  assert.ok(weights < 1e-6, `weights: 2 x B vs 1 x 2B differ by ${weights}`);
  const statistics = maxDifference(buffers, one.buffers as Weights);
  assert.ok(statistics < 1e-6, `running statistics: 2 x B vs 1 x 2B differ by ${statistics}`);
});
