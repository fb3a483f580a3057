// c10d's Gloo group through the addon, with two real processes on loopback: every collective gives
// the known values on both ranks; a rank waiting for a peer that never comes, a peer that exits and a
// peer that stalls each end in a DistributedError within the timeout instead of a hang.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { freePort } from '../../../bench/support/free-port.js';
import { rankEnv, runRank } from './spawn-rank.js';

const RANK_SCRIPT = fileURLToPath(new URL('./collectives-rank.js', import.meta.url));

interface RankReport {
  rank: number;
  error?: string;
  message?: string;
  seconds?: number;
  [key: string]: unknown;
}

async function runRanks(scenario: string, ranks: number[], worldSize: number, timeoutMs: number) {
  const port = await freePort();
  const exits = await Promise.all(
    ranks.map((r) =>
      runRank([RANK_SCRIPT, scenario], { ...rankEnv(r, worldSize, port), TIMEOUT_MS: String(timeoutMs) }),
    ),
  );
  return exits.map((e) => ({ ...e, report: e.report as RankReport | null }));
}

test('all-reduce, all-gather, broadcast and barrier give the known values on both ranks', async () => {
  const results = await runRanks('collectives', [0, 1], 2, 20_000);
  for (const [rank, { code, report, stderr }] of results.entries()) {
    assert.equal(code, 0, stderr);
    assert.equal(report!.rank, rank);
    assert.deepEqual(report!.sum, [3, 30, -1]);
    assert.deepEqual(report!.max, [1, 0]);
    assert.deepEqual(report!.avg, [1, 4]);
    assert.deepEqual(report!.several, [[1], [2, 1, 4]]);
    assert.deepEqual(report!.gathered, [
      [0, 0],
      [1, 1],
    ]);
    assert.deepEqual(report!.broadcast, [8], 'from the last rank');
    assert.deepEqual(report!.coalesced, [[0, 0], [5]], 'float and int64 tensors from rank 0');
    assert.deepEqual(report!.numbers, [1, 1]);
    // Lists of any length, exact in float64, in rank order.
    assert.deepEqual(report!.lists, [[0.1, 2, -3], [1]]);
    assert.deepEqual(report!.unevenLists, [[], [1e-300, 7]]);
    assert.deepEqual(report!.emptyLists, [[], []]);
  }
});

test('a rank whose peer never arrives fails the rendezvous after the timeout', async () => {
  const [{ code, report }] = await runRanks('collectives', [0], 2, 1500);
  assert.equal(code, 1);
  assert.equal(report!.error, 'DistributedError');
  assert.match(report!.message!, /^rank 0 of 2: rendezvous at 127\.0\.0\.1:\d+ failed \(timeout 1\.5 s\)/);
  assert.ok(report!.seconds! < 10, `gave up after ${report!.seconds} s`);
});

test('a peer that exits makes the next all-reduce fail at once, a stalled peer after the timeout', async () => {
  const exits = await runRanks('peer-exits', [0, 1], 2, 20_000);
  assert.equal(exits[1].code, 0);
  assert.equal(exits[0].code, 1);
  assert.equal(exits[0].report!.error, 'DistributedError');
  // Gloo says "closed" when it reads the end of the stream and "reset" when the socket was reset;
  // which one a peer's exit gives depends on the Gloo release and the timing.
  assert.match(exits[0].report!.message!, /^rank 0 of 2: all-reduce failed .*Connection (closed|reset) by peer/);
  assert.ok(exits[0].report!.seconds! < 10, 'no wait for the 20 s timeout');

  const stalls = await runRanks('peer-stalls', [0, 1], 2, 4000);
  assert.equal(stalls[0].code, 1);
  assert.match(stalls[0].report!.message!, /^rank 0 of 2: all-reduce failed \(timeout 4 s\): .*timed out/i);
  assert.ok(stalls[0].report!.seconds! >= 4 && stalls[0].report!.seconds! < 20);
});
