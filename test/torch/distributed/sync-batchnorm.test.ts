// Sync batch norm on the CPU (PyTorch 1.13's SyncBatchNorm is CUDA-only): two ranks, each holding half
// of a batch, give the outputs, input gradients, summed parameter gradients and running statistics of
// one plain BatchNorm2d over the whole batch; the differentiable all-reduce under it gives known
// values forward and backward.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { freePort } from '../../../bench/support/free-port.js';
import { rankEnv, runRank } from './spawn-rank.js';

const RANK_SCRIPT = fileURLToPath(new URL('./sync-batchnorm-rank.js', import.meta.url));

test('2 ranks of sync batch norm equal one batch norm over the concatenated batch, gradients included', async () => {
  const port = await freePort();
  const exits = await Promise.all([0, 1].map((r) => runRank([RANK_SCRIPT], rankEnv(r, 2, port))));
  for (const [rank, { code, stderr, report }] of exits.entries()) {
    assert.equal(code, 0, stderr);
    assert.equal(report!.rank, rank);
    // y = 1 * x + 2 * x; d(loss_0 + loss_1)/dy = 1 + 2 everywhere, and dy/dx = r + 1 on rank r.
    assert.deepEqual(report!.allReduced, [3, 6]);
    assert.deepEqual(report!.allReducedGrad, [3 * (rank + 1), 3 * (rank + 1)]);
    assert.equal(report!.converted, 1);
    const diffs = report!.diffs as Record<string, number>;
    for (const [what, d] of Object.entries(diffs)) assert.ok(d < 2e-5, `${what} differs by ${d} on rank ${rank}`);
    assert.ok((report!.movedRunningVar as number) > 1, 'the running variance moved towards the batch variance');
  }
  assert.ok((exits[0].report!.evalOutput as number) < 1e-5, 'evaluation uses the same running statistics');
});
