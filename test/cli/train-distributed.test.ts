// `pneumo train` as a data-parallel job on loopback: the --nproc-per-node launcher runs two ranks to the
// end with rank 0 alone writing; ranks started by a plain loop with exactly torchrun's variables train
// together; a rank killed mid-epoch makes the other one exit with a clear error well within the
// timeout, and both restarted with --resume continue from the last checkpoint; the launcher stops the
// job and names the rank when one of its ranks dies.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { readLastCheckpoint } from '../../src/train/checkpoint.js';
import { freePort } from '../../bench/support/free-port.js';
import { rankEnv, runRank } from '../torch/distributed/spawn-rank.js';
import { writeTinyDicomDataset } from './tiny-dicom-dataset.js';
import { PNEUMO_BIN } from './run-pneumo.js';

const folder = mkdtempSync(path.join(tmpdir(), 'pneumo-train-ddp-'));
test.after(() => rmSync(folder, { recursive: true, force: true }));
const SIZE = 64;
const data = path.join(folder, 'data');
writeTinyDicomDataset(data, SIZE);

const trainArgs = (out: string, epochs: number) => [
  PNEUMO_BIN,
  'train',
  'classifier',
  '--data',
  data,
  '--out',
  out,
  '--model',
  'classifier-resnet18-w16',
  '--size',
  String(SIZE),
  '--epochs',
  String(epochs),
  '--batch',
  '4',
  '--val-fraction',
  '0.25',
  '--no-augment',
  '--workers',
  '1',
  '--dist-timeout',
  '20',
];

const metricsRows = (run: string) => readFileSync(path.join(run, 'metrics.csv'), 'utf8').trim().split('\n').length - 1;

test('the launcher runs 2 ranks to the end; one JSON summary, one run folder written by rank 0', async () => {
  const run = path.join(folder, 'launched');
  const port = await freePort();
  const args = [...trainArgs(run, 2), '--nproc-per-node', '2', '--master-port', String(port), '--json'];
  const r = await runRank(args, { ...process.env, PNEUMO_THREADS: '1' });
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /pneumo launch: rank 0 of 2 started \(pid \d+, 1 threads\)/);
  assert.match(r.stderr, /rank 0 of 2 joined the group/);
  const summaries = r.stdout.trim().split('\n');
  assert.equal(summaries.length, 1, 'rank 0 alone prints the summary');
  const summary = JSON.parse(summaries[0]);
  assert.equal(summary.epochs, 2);
  assert.equal(summary.trainImages, 18);
  assert.equal(metricsRows(run), 2);
  assert.equal(readdirSync(path.join(run, 'tb')).filter((f) => f.startsWith('events.out.tfevents.')).length, 1);
  assert.ok(existsSync(path.join(run, 'best.safetensors')));
  assert.ok(existsSync(path.join(run, 'plots', 'loss.png')));
});

test('torchrun variables from a plain loop; a rank killed mid-epoch stops the other with a clear error; --resume continues', async () => {
  const run = path.join(folder, 'torchrun');
  const port = await freePort();
  let victim = 0;
  const ranks = [0, 1].map((rank) =>
    runRank(trainArgs(run, 4), rankEnv(rank, 2, port), (pid) => {
      if (rank === 1) victim = pid;
    }),
  );
  // Kill rank 1 once epoch 1 is checkpointed, i.e. during epoch 2.
  const deadline = Date.now() + 60_000;
  while (!readLastCheckpoint(run) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 25));
  assert.ok(readLastCheckpoint(run), 'epoch 1 was checkpointed');
  const killedAt = Date.now();
  process.kill(victim, 'SIGKILL');
  const [rank0, rank1] = await Promise.all(ranks);
  assert.equal(rank1.signal, 'SIGKILL');
  assert.equal(rank0.code, 1, 'the surviving rank fails');
  assert.ok(Date.now() - killedAt < 20_000, 'within the 20 s timeout');
  const errorLine = rank0.stderr
    .trim()
    .split('\n')
    .filter((l) => l.startsWith('pneumo: '))
    .pop();
  assert.match(
    errorLine ?? '',
    /^pneumo: rank 0 of 2: [a-z -]+ failed \(timeout 20 s\): .*(connection closed by peer|connection reset|timed out)/i,
  );
  const saved = readLastCheckpoint(run)!;
  assert.ok(saved.epoch >= 1 && saved.epoch < 4);

  const resumed = await Promise.all(
    [0, 1].map((rank) =>
      runRank([PNEUMO_BIN, 'train', 'classifier', '--out', run, '--resume', '--workers', '1'], rankEnv(rank, 2, port)),
    ),
  );
  for (const r of resumed) assert.equal(r.code, 0, r.stderr);
  assert.match(resumed[0].stderr, new RegExp(`resuming .* after epoch ${saved.epoch} of 4`));
  assert.equal(readLastCheckpoint(run)!.epoch, 4);
  assert.equal(metricsRows(run), 4);
});

/**
 * A 2-rank launch that runs until `act` (called with the launcher's stderr so far) has done something;
 * resolves with the launcher's exit code and stderr.
 */
async function launchUntil(name: string, act: (stderr: string, launcher: ChildProcess) => boolean) {
  const port = await freePort();
  const launcher = spawn(
    process.execPath,
    [...trainArgs(path.join(folder, name), 50), '--nproc-per-node', '2', '--master-port', String(port)],
    { env: { ...process.env, PNEUMO_THREADS: '1' }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let stderr = '';
  let acted = false;
  launcher.stderr!.on('data', (d: Buffer) => {
    stderr += d.toString();
    if (!acted && /rank 0 of 2 joined/.test(stderr)) acted = act(stderr, launcher);
  });
  const code = await new Promise<number | null>((resolve) => launcher.on('close', resolve));
  assert.ok(acted, stderr);
  return { code, stderr };
}

test('the launcher stops the job and names the rank when one of its ranks dies', async () => {
  const { code, stderr } = await launchUntil('failfast', (text) => {
    const started = /rank 1 of 2 started \(pid (\d+)/.exec(text);
    if (started) process.kill(Number(started[1]), 'SIGKILL');
    return started !== null;
  });
  assert.equal(code, 1);
  assert.match(stderr, /pneumo launch: rank 1 was killed by SIGKILL; stopping the other ranks/);
  assert.match(stderr, /pneumo: rank 1 was killed by SIGKILL; the other local ranks were stopped/);
});

test('SIGTERM to the launcher reaches every rank and the job ends', async () => {
  const started = Date.now();
  const { code, stderr } = await launchUntil('terminated', (_, launcher) => launcher.kill('SIGTERM'));
  assert.equal(code, 1);
  assert.ok(Date.now() - started < 60_000);
  const pids = [...stderr.matchAll(/started \(pid (\d+)/g)].map((m) => Number(m[1]));
  assert.equal(pids.length, 2);
  for (const pid of pids) assert.throws(() => process.kill(pid, 0), /ESRCH/, `rank pid ${pid} is gone`);
  assert.match(stderr, /rank \d was killed by SIGTERM/);
});
