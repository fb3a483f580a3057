// `pneumo bench engine`: training steps of a ResNet-18 (torchvision's architecture) driven from
// TypeScript through the addon versus torchvision's resnet18 in PyTorch (Debian's /usr/bin/python3),
// same threads, batch, input size and optimizer. The two sides take turns step by step (ours, then
// PyTorch's, never both at once), so that a change of load on a shared machine falls on both alike.
// Prints the median ms per step of each and their ratio (ours / PyTorch's; the target is at
// most 1.05), with CPU-time medians and page faults per step as diagnostics.
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import path from 'node:path';
import * as torch from '../src/torch/index.js';
import { optim, type Tensor } from '../src/torch/index.js';
import { engineInfo } from '../src/torch/engine-info.js';
import { PROJECT_ROOT } from '../src/project-paths.js';
import { PYTHON } from './support/python.js';
import { median } from './median.js';
import { ResNet18Like } from './resnet18-like.js';

interface Settings {
  threads: number;
  batch: number;
  size: number;
}

interface StepTiming {
  ms: number;
  cpu_ms: number;
  faults: number;
}

/** Ours: zero grads, forward, BCE-with-logits, backward, SGD step, the step's tensors in a scope. */
class TypescriptSide {
  readonly model: ResNet18Like;
  readonly optimizer: optim.SGD;
  readonly x: Tensor;
  readonly y: Tensor;

  constructor(s: Settings) {
    torch.manualSeed(0);
    this.model = new ResNet18Like(1).train();
    this.optimizer = new optim.SGD(this.model.parameters(), { lr: 0.01, momentum: 0.9, weightDecay: 1e-4 });
    this.x = torch.randn([s.batch, 3, s.size, s.size]).keep();
    this.y = torch
      .gt(torch.rand([s.batch, 1]), 0.5)
      .float()
      .keep();
  }

  step(): StepTiming {
    const faults = process.resourceUsage().minorPageFault;
    const start = performance.now();
    const cpu = process.cpuUsage();
    this.optimizer.zeroGrad();
    torch.scope(() => torch.binaryCrossEntropyWithLogits(this.model.forward(this.x), this.y).backward());
    this.optimizer.step();
    const ms = performance.now() - start;
    const used = process.cpuUsage(cpu);
    return { ms, cpu_ms: (used.user + used.system) / 1000, faults: process.resourceUsage().minorPageFault - faults };
  }

  dispose(): void {
    this.optimizer.dispose();
    this.model.dispose();
    this.x.dispose();
    this.y.dispose();
  }
}

/** PyTorch's side: a Python process that runs one step per request and reports its timing. */
class PytorchSide {
  private constructor(
    private readonly child: ReturnType<typeof spawn>,
    private readonly lines: AsyncIterator<string>,
    /** Rejects when the process cannot start or ends before close(). */
    private readonly failed: Promise<never>,
  ) {}

  info = { torch_version: '', threads: 0, parameters: 0 };

  static async start(s: Settings): Promise<PytorchSide> {
    const script = path.join(PROJECT_ROOT, 'bench', 'engine_torch.py');
    const child = spawn(PYTHON, [script, JSON.stringify(s)], { stdio: ['pipe', 'pipe', 'inherit'] });
    const failed = new Promise<never>((_, reject) => {
      child.on('error', (err) => reject(new Error(`cannot run ${PYTHON}: ${err.message}`)));
      child.on('exit', (code) => reject(new Error(`${script} exited with code ${code}`)));
    });
    failed.catch(() => {}); // reported through the next request
    const side = new PytorchSide(child, createInterface({ input: child.stdout! })[Symbol.asyncIterator](), failed);
    side.info = await side.next();
    return side;
  }

  private async next<T>(): Promise<T> {
    const line = this.lines.next().then(({ value, done }) => {
      if (done) throw new Error('the PyTorch side ended early');
      return JSON.parse(value) as T;
    });
    return Promise.race([line, this.failed]);
  }

  async step(): Promise<StepTiming> {
    this.child.stdin!.write('step\n');
    return this.next<StepTiming>();
  }

  close(): void {
    this.child.removeAllListeners('exit');
    this.child.stdin!.end('quit\n');
  }
}

export async function run({ quick }: { quick: boolean }): Promise<object> {
  const threads = engineInfo().threads;
  const settings: Settings = quick ? { threads, batch: 2, size: 64 } : { threads, batch: 8, size: 224 };
  const [warmup, steps] = quick ? [1, 3] : [3, 12];
  const theirs = await PytorchSide.start(settings);
  const ours = new TypescriptSide(settings);
  try {
    const parameters = ours.model.parameterCount();
    if (theirs.info.parameters !== parameters)
      throw new Error(
        `the networks differ: ${parameters} parameters here, ${theirs.info.parameters} in torchvision's resnet18`,
      );
    const ts: StepTiming[] = [];
    const pt: StepTiming[] = [];
    let live = 0;
    for (let i = 0; i < warmup + steps; i++) {
      if (i === warmup) live = torch.liveTensors();
      const a = ours.step();
      const b = await theirs.step();
      if (i >= warmup) {
        ts.push(a);
        pt.push(b);
      }
    }
    if (torch.liveTensors() !== live)
      throw new Error(`${torch.liveTensors() - live} tensors leaked over ${steps} steps`);
    const med = (list: StepTiming[], key: keyof StepTiming) => median(list.map((t) => t[key]));
    const round = (v: number, digits = 2) => Number(v.toFixed(digits));
    return {
      ts_ms_per_step: round(med(ts, 'ms')),
      torch_ms_per_step: round(med(pt, 'ms')),
      ratio: round(med(ts, 'ms') / med(pt, 'ms'), 4),
      threads,
      batch: settings.batch,
      size: settings.size,
      steps,
      torch_version: theirs.info.torch_version,
      // CPU time (all threads) per step: less disturbed than wall time when other work shares the cores.
      ts_cpu_ms_per_step: round(med(ts, 'cpu_ms')),
      torch_cpu_ms_per_step: round(med(pt, 'cpu_ms')),
      cpu_ratio: round(med(ts, 'cpu_ms') / med(pt, 'cpu_ms'), 4),
      ts_page_faults_per_step: med(ts, 'faults'),
      torch_page_faults_per_step: med(pt, 'faults'),
      model: 'resnet18 (torchvision architecture), 1 output, BCE with logits',
      optimizer: 'SGD momentum 0.9, weight decay 1e-4',
      parameters,
      ts_ms: ts.map((t) => round(t.ms, 1)),
      torch_ms: pt.map((t) => round(t.ms, 1)),
    };
  } finally {
    theirs.close();
    ours.dispose();
  }
}
