// Data-parallel training is the same training: two ranks (processes over loopback, c10d Gloo) with
// batch B each end, after two epochs of SGD with momentum, with the weights of one process with batch 2B
// on the same epoch order; both ranks hold the same weights (rank 1 started from other ones); only
// rank 0 writes a run folder.
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

test('2 ranks x batch B train to the weights of 1 process x batch 2B', async () => {
  const port = await freePort();
  const twoRanks = path.join(root, 'two');
  const ranks = await Promise.all([0, 1].map((r) => runRank([RANK_SCRIPT, twoRanks], rankEnv(r, 2, port))));
  for (const r of ranks) assert.equal(r.code, 0, r.stderr);
  const single = await runRank([RANK_SCRIPT, path.join(root, 'one')], { ...process.env, WORLD_SIZE: '1' });
  assert.equal(single.code, 0, single.stderr);
  const [rank0, rank1] = ranks.map((r) => r.report!);
  const one = single.report!;
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
  assert.ok(existsSync(path.join(twoRanks, 'rank-0', 'checkpoints', 'last.json')));
  assert.ok(existsSync(path.join(twoRanks, 'rank-0', 'run.json')));
  assert.ok(!existsSync(path.join(twoRanks, 'rank-1')), 'rank 1 writes nothing');
});
