// `pneumo bench distributed`: data-parallel training on this machine, TypeScript (c10d Gloo and DDP's
// Reducer through the addon) against PyTorch DDP (Debian's python3-torch, Gloo) in the same run. Step
// time and images/s of a registry classifier for one process with 2 threads and batch 2B, and for 2
// ranks with 1 thread and batch B each (the same images per step); then all-reduce time and bandwidth
// of float32 buffers of 1-64 MiB between 2 ranks over loopback, the two sides taking turns over three
// rounds. Each configuration runs in fresh child processes, one configuration at a time. Targets: DDP
// step time within 10% of PyTorch's, all-reduce bandwidth equal to Gloo's own (ratio >= 0.9).
import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { resolveConfig, type ModelConfig } from '../src/models/registry.js';
import { PROJECT_ROOT } from '../src/project-paths.js';
import { PYTHON } from './support/python.js';
import { freePort } from './support/free-port.js';
import { median } from './median.js';

const here = path.dirname(fileURLToPath(import.meta.url));

/** What every child process receives (JSON on the command line). */
export interface DistributedJob {
  kind: 'step' | 'allreduce';
  model: string;
  config?: ModelConfig;
  size: number;
  /** Images per rank; the single process takes batch * worldSize. */
  batch: number;
  worldSize: number;
  steps: number;
  warmup: number;
  threads: number;
  sizesMiB: number[];
  repeats: number;
}

type Side = 'typescript' | 'pytorch';

interface ChildReport {
  stepMs?: number[];
  allReduceMs?: Record<string, number[]>;
}

/** Turns each side takes at the all-reduce timings (alternating with the other side). */
const ALL_REDUCE_ROUNDS = 3;

const round = (x: number, digits = 3) => (Number.isFinite(x) ? Number(x.toFixed(digits)) : null);

function command(side: Side): string[] {
  return side === 'typescript'
    ? [process.execPath, path.join(here, 'distributed-rank.js')]
    : [PYTHON, path.join(PROJECT_ROOT, 'bench', 'distributed_reference.py')];
}

function runChild(side: Side, job: DistributedJob, env: NodeJS.ProcessEnv): Promise<ChildReport> {
  const [exe, ...args] = command(side);
  const child = spawn(
    exe,
    [...args, JSON.stringify(side === 'pytorch' ? { ...job, config: resolveConfig(job.model) } : job)],
    {
      cwd: PROJECT_ROOT,
      env: { ...process.env, ...env, PNEUMO_THREADS: String(job.threads), OMP_NUM_THREADS: String(job.threads) },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  return new Promise((resolve, reject) =>
    child.on('close', (code) => {
      const line = stdout.trim().split('\n').pop() ?? '';
      if (code !== 0 || !line.startsWith('{'))
        reject(new Error(`${side} ${job.kind} child failed (exit ${code}): ${stderr.trim().split('\n').slice(-1)[0]}`));
      else resolve(JSON.parse(line) as ChildReport);
    }),
  );
}

/** Rank 0's report of a job run by `worldSize` ranks on loopback (or by one process when 1). */
async function runJob(side: Side, job: DistributedJob, worldSize: number): Promise<ChildReport> {
  if (worldSize === 1) return runChild(side, job, { WORLD_SIZE: '1', RANK: '0' });
  const port = await freePort();
  const reports = await Promise.all(
    Array.from({ length: worldSize }, (_, rank) =>
      runChild(side, job, {
        RANK: String(rank),
        LOCAL_RANK: String(rank),
        WORLD_SIZE: String(worldSize),
        LOCAL_WORLD_SIZE: String(worldSize),
        MASTER_ADDR: '127.0.0.1',
        MASTER_PORT: String(port),
      }),
    ),
  );
  return reports[0];
}

function stepSummary(report: ChildReport, imagesPerStep: number) {
  const stepMs = report.stepMs ?? [];
  const medianMs = median(stepMs);
  return {
    medianStepMs: round(medianMs, 1),
    minStepMs: round(Math.min(...stepMs), 1),
    imagesPerSecond: round((1000 * imagesPerStep) / medianMs, 2),
  };
}

function bandwidth(report: ChildReport) {
  return Object.fromEntries(
    Object.entries(report.allReduceMs ?? {}).map(([mib, times]) => {
      const ms = median(times);
      return [mib, { medianMs: round(ms, 2), mibPerSecond: round((Number(mib) * 1000) / ms, 1) }];
    }),
  );
}

export async function run(options: { quick: boolean }): Promise<object> {
  const worldSize = 2;
  const base: DistributedJob = {
    kind: 'step',
    model: 'classifier-resnet18-w16',
    size: options.quick ? 64 : 128,
    batch: 8,
    worldSize,
    steps: options.quick ? 3 : 12,
    warmup: 2,
    threads: 1,
    sizesMiB: options.quick ? [1, 4] : [1, 4, 16, 64],
    // At least this many all-reduces per size; small buffers get more (bench/distributed-rank.ts).
    repeats: options.quick ? 2 : 5,
  };
  const imagesPerStep = base.batch * worldSize;
  const sides: Side[] = ['typescript', 'pytorch'];
  const results: Record<Side, Record<string, unknown>> = { typescript: {}, pytorch: {} };
  for (const side of sides) {
    results[side].single = stepSummary(await runJob(side, { ...base, threads: worldSize }, 1), imagesPerStep);
    results[side].ddp = stepSummary(await runJob(side, base, worldSize), imagesPerStep);
  }
  // Loopback all-reduces of a few milliseconds move with whatever else the 2 cores are doing: the two
  // sides take turns over several rounds, so a busy spell falls on both, and the times are pooled.
  const pooled: Record<Side, Record<string, number[]>> = { typescript: {}, pytorch: {} };
  for (let round = 0; round < (options.quick ? 1 : ALL_REDUCE_ROUNDS); round++)
    for (const side of sides) {
      const report = await runJob(side, { ...base, kind: 'allreduce' }, worldSize);
      for (const [mib, times] of Object.entries(report.allReduceMs ?? {})) (pooled[side][mib] ??= []).push(...times);
    }
  for (const side of sides) results[side].allReduce = bandwidth({ allReduceMs: pooled[side] });
  type Step = ReturnType<typeof stepSummary>;
  type Bandwidth = ReturnType<typeof bandwidth>;
  const ts = results.typescript as { single: Step; ddp: Step; allReduce: Bandwidth };
  const py = results.pytorch as { single: Step; ddp: Step; allReduce: Bandwidth };
  const ddpStepTimeRatio = ts.ddp.medianStepMs! / py.ddp.medianStepMs!;
  const bandwidthRatio = Object.fromEntries(
    Object.keys(ts.allReduce).map((mib) => [
      mib,
      round(ts.allReduce[mib].mibPerSecond! / py.allReduce[mib].mibPerSecond!),
    ]),
  );
  return {
    bench: 'distributed',
    model: base.model,
    size: base.size,
    batchPerRank: base.batch,
    ranks: worldSize,
    imagesPerStep,
    steps: base.steps,
    allReduceRounds: options.quick ? 1 : ALL_REDUCE_ROUNDS,
    typescript: ts,
    pytorch: py,
    ratios: {
      ddpStepTime: round(ddpStepTimeRatio),
      singleStepTime: round(ts.single.medianStepMs! / py.single.medianStepMs!),
      ddpOverSingleTypescript: round(ts.ddp.medianStepMs! / ts.single.medianStepMs!),
      ddpOverSinglePytorch: round(py.ddp.medianStepMs! / py.single.medianStepMs!),
      allReduceBandwidth: bandwidthRatio,
    },
    withinTargets: {
      ddpStepTime: ddpStepTimeRatio <= 1.1,
      allReduceBandwidth: Object.values(bandwidthRatio).every((r) => r !== null && r >= 0.9),
    },
  };
}
