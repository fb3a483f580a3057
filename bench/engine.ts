// `pneumo bench engine`: training steps of a ResNet-18 (torchvision's architecture) driven from
// TypeScript through the addon versus torchvision's resnet18 in PyTorch (Debian's /usr/bin/python3),
// same threads, batch, input size and optimizer, one side after the other. Prints the median ms per
// step of each and their ratio (ours / PyTorch's; the target is at most 1.05).
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as torch from '../src/torch/index.js';
import { optim } from '../src/torch/index.js';
import { engineInfo } from '../src/torch/engine-info.js';
import { ResNet18Like } from './resnet18-like.js';

const PYTHON = process.env.PNEUMO_PYTHON ?? '/usr/bin/python3';

interface Settings {
  threads: number;
  batch: number;
  size: number;
  steps: number;
  warmup: number;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

function repoRoot(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  while (!existsSync(path.join(dir, 'package.json'))) dir = path.dirname(dir);
  return dir;
}

/** Ours: zero grads, forward, BCE-with-logits, backward, SGD step, each step in its own scope. */
function timeTypescript(s: Settings): { times: number[]; cpuTimes: number[]; parameters: number; leaked: number } {
  torch.manualSeed(0);
  const model = new ResNet18Like(1).train();
  const opt = new optim.SGD(model.parameters(), { lr: 0.01, momentum: 0.9, weightDecay: 1e-4 });
  const x = torch.randn([s.batch, 3, s.size, s.size]).keep();
  const y = torch
    .gt(torch.rand([s.batch, 1]), 0.5)
    .float()
    .keep();
  const times: number[] = [];
  const cpuTimes: number[] = [];
  let live = 0;
  for (let i = 0; i < s.warmup + s.steps; i++) {
    if (i === s.warmup) live = torch.liveTensors();
    const start = performance.now();
    const cpuStart = process.cpuUsage();
    opt.zeroGrad();
    torch.scope(() => torch.binaryCrossEntropyWithLogits(model.forward(x), y).backward());
    opt.step();
    const elapsed = performance.now() - start;
    const cpu = process.cpuUsage(cpuStart);
    if (i >= s.warmup) {
      times.push(elapsed);
      cpuTimes.push((cpu.user + cpu.system) / 1000);
    }
  }
  const leaked = torch.liveTensors() - live;
  const parameters = model.parameterCount();
  opt.dispose();
  model.dispose();
  x.dispose();
  y.dispose();
  return { times, cpuTimes, parameters, leaked };
}

function timePytorch(s: Settings): {
  median_ms: number;
  cpu_median_ms: number;
  times_ms: number[];
  torch_version: string;
  threads: number;
  parameters: number;
} {
  const script = path.join(repoRoot(), 'bench', 'engine_torch.py');
  const out = execFileSync(PYTHON, [script, JSON.stringify(s)], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  return JSON.parse(out);
}

export async function run({ quick }: { quick: boolean }): Promise<object> {
  const threads = engineInfo().threads;
  const settings: Settings = quick
    ? { threads, batch: 2, size: 64, steps: 3, warmup: 1 }
    : { threads, batch: 8, size: 224, steps: 10, warmup: 3 };
  // One side after the other, never both at once: they share the cores.
  const ours = timeTypescript(settings);
  const theirs = timePytorch(settings);
  if (theirs.parameters !== ours.parameters)
    throw new Error(
      `the networks differ: ${ours.parameters} parameters here, ${theirs.parameters} in torchvision's resnet18`,
    );
  if (ours.leaked !== 0) throw new Error(`${ours.leaked} tensors leaked over ${settings.steps} steps`);
  const ts = median(ours.times);
  return {
    ts_ms_per_step: Number(ts.toFixed(2)),
    torch_ms_per_step: Number(theirs.median_ms.toFixed(2)),
    ratio: Number((ts / theirs.median_ms).toFixed(4)),
    // CPU time (all threads) per step: less disturbed than wall time when other work shares the cores.
    ts_cpu_ms_per_step: Number(median(ours.cpuTimes).toFixed(2)),
    torch_cpu_ms_per_step: Number(theirs.cpu_median_ms.toFixed(2)),
    cpu_ratio: Number((median(ours.cpuTimes) / theirs.cpu_median_ms).toFixed(4)),
    threads,
    batch: settings.batch,
    size: settings.size,
    steps: settings.steps,
    torch_version: theirs.torch_version,
    model: 'resnet18 (torchvision architecture), 1 output',
    optimizer: 'SGD momentum 0.9, weight decay 1e-4',
    parameters: ours.parameters,
    ts_ms: ours.times.map((t) => Number(t.toFixed(1))),
    torch_ms: theirs.times_ms.map((t) => Number(t.toFixed(1))),
  };
}
