// One process of `pneumo bench distributed` on the TypeScript side: with WORLD_SIZE=2 a data-parallel
// rank (c10d Gloo + DDP's Reducer through the addon), else the single process with the double batch.
// Job "step": timed training steps of a registry model (SGD with momentum, BCE), as
// bench/distributed_reference.py does with torch.nn.parallel.DistributedDataParallel. Job "allreduce":
// timed all-reduces of float32 buffers of the given sizes. Prints one JSON line.
// Usage: node dist/bench/distributed-rank.js '{"kind": "step", ...}' (RANK, WORLD_SIZE, MASTER_* set)
import * as torch from '../src/torch/index.js';
import { SGD } from '../src/torch/optim/index.js';
import { DataParallel, ProcessGroup } from '../src/torch/distributed/index.js';
import { createModel } from '../src/models/registry.js';
import { bceWithLogitsLoss } from '../src/train/losses/index.js';
import type { DistributedJob } from './distributed.js';

const rank = Number(process.env.RANK ?? 0);
const worldSize = Number(process.env.WORLD_SIZE ?? 1);

async function joinGroup(): Promise<ProcessGroup | null> {
  if (worldSize < 2) return null;
  return ProcessGroup.init({
    rank,
    worldSize,
    masterAddr: process.env.MASTER_ADDR!,
    masterPort: Number(process.env.MASTER_PORT),
    timeoutMs: 120_000,
  });
}

function trainSteps(job: DistributedJob, group: ProcessGroup | null): number[] {
  torch.manualSeed(1);
  const model = createModel(job.model);
  model.train();
  const optimizer = new SGD(model.parameters(), { lr: 0.01, momentum: 0.9 });
  const ddp = group ? new DataParallel(group, model) : null;
  const batch = job.batch * (group ? 1 : job.worldSize);
  const images = torch.randn([batch, 1, job.size, job.size]).keep();
  const labels = torch.tensor(Float32Array.from({ length: batch }, (_, i) => i % 2)).keep();
  const stepMs: number[] = [];
  for (let step = 0; step < job.warmup + job.steps; step++) {
    const start = performance.now();
    torch.scope(() => {
      ddp?.beforeForward();
      const out = model.forward(images) as torch.Tensor;
      const loss = bceWithLogitsLoss(out, labels);
      optimizer.zeroGrad();
      if (ddp) ddp.backward(loss);
      else loss.backward();
      optimizer.step();
      loss.item();
    });
    if (step >= job.warmup) stepMs.push(performance.now() - start);
  }
  ddp?.dispose();
  return stepMs;
}

function allReduceTimes(job: DistributedJob, group: ProcessGroup): Record<string, number[]> {
  const out: Record<string, number[]> = {};
  for (const mib of job.sizesMiB) {
    // Zeros stay zeros however often they are summed (ones would overflow to inf over many repeats).
    const buffer = torch.zeros([(mib * 1024 * 1024) / 4]).keep();
    const times: number[] = [];
    const repeats = repeatsFor(job, mib);
    const warmup = warmupFor(job, mib);
    for (let k = 0; k < warmup + repeats; k++) {
      group.barrier();
      const start = performance.now();
      group.allReduce(buffer, 'sum');
      if (k >= warmup) times.push(performance.now() - start);
    }
    buffer.dispose();
    out[String(mib)] = times;
  }
  return out;
}

/** More repetitions of the small buffers, whose times are short and noisy: about 160 MiB per size. */
function repeatsFor(job: DistributedJob, mib: number): number {
  return Math.max(job.repeats, Math.round(160 / mib));
}

/** Untimed all-reduces first: about 40 MiB per size (a fresh group's first exchanges are slower). */
function warmupFor(job: DistributedJob, mib: number): number {
  return Math.max(job.warmup, Math.round(40 / mib));
}

async function main(): Promise<void> {
  const job = JSON.parse(process.argv[2]) as DistributedJob;
  torch.setNumThreads(job.threads);
  const group = await joinGroup();
  const result =
    job.kind === 'step' ? { stepMs: trainSteps(job, group) } : { allReduceMs: allReduceTimes(job, group!) };
  group?.close();
  process.stdout.write(JSON.stringify({ side: 'typescript', rank, worldSize, ...result }) + '\n');
}

main().catch((err: Error) => {
  process.stderr.write(`rank ${rank}: ${err.message}\n`);
  process.exitCode = 1;
});
