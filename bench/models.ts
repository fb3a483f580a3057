// `pneumo bench models`: the encoders' own classification networks (3 channels, ImageNet head), ours
// and torchvision's in the same run with the same threads: eval forward and a training forward +
// backward, median milliseconds per batch, and the ratio ours / PyTorch (below 1: ours is faster).
// CPU milliseconds (all threads) too: on a shared machine they say more than wall time.
import { spawnSync } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import * as torch from '../src/torch/index.js';
import { createEncoder } from '../src/models/encoders.js';
import { PROJECT_ROOT } from '../src/project-paths.js';
import { PYTHON } from './support/python.js';
import { median } from './median.js';

// dist/bench/models.js -> <repo>/bench/models_python.py
const SCRIPT = path.join(PROJECT_ROOT, 'bench', 'models_python.py');

const ARCHS: [ours: string, torchvision: string][] = [
  ['resnet34', 'resnet34'],
  ['densenet121', 'densenet121'],
  ['efficientnet-b0', 'efficientnet_b0'],
];

interface Timing {
  ms: number;
  cpuMs: number;
}

/** Median wall and CPU (all threads) milliseconds per call, after one warm-up call. */
function medianTiming(fn: () => void, reps: number): Timing {
  fn();
  const wall: number[] = [];
  const cpu: number[] = [];
  for (let i = 0; i < reps; i++) {
    const start = performance.now();
    const startCpu = process.cpuUsage();
    fn();
    const used = process.cpuUsage(startCpu);
    wall.push(performance.now() - start);
    cpu.push((used.user + used.system) / 1000);
  }
  return { ms: median(wall), cpuMs: median(cpu) };
}

interface PythonTiming {
  forward_ms: number;
  forward_cpu_ms: number;
  train_ms: number;
  train_cpu_ms: number;
}

export async function run({ quick }: { quick: boolean }): Promise<object> {
  const size = quick ? 128 : 224;
  const batch = quick ? 2 : 8;
  const reps = quick ? 2 : 5;
  const threads = Math.min(2, os.availableParallelism());
  torch.setNumThreads(threads);
  torch.manualSeed(0);
  const ours: Record<string, { forward: Timing; train: Timing }> = {};
  for (const [name] of ARCHS) {
    const encoder = createEncoder(name, { inChannels: 3, withClassifier: true });
    const x = torch.randn([batch, 3, size, size]).keep();
    try {
      encoder.eval();
      const forward = medianTiming(() => torch.noGrad(() => torch.scope(() => void encoder.forward(x))), reps);
      encoder.train();
      const train = medianTiming(
        () =>
          torch.scope(() => {
            encoder.zeroGrad();
            encoder.forward(x).mean().backward();
          }),
        reps,
      );
      ours[name] = { forward, train };
    } finally {
      x.dispose();
      encoder.dispose();
    }
  }
  const py = spawnSync(
    PYTHON,
    [SCRIPT, String(size), String(batch), String(reps), String(threads), ...ARCHS.map(([, tv]) => tv)],
    {
      cwd: os.tmpdir(),
      encoding: 'utf8',
    },
  );
  const reference =
    py.status === 0
      ? (JSON.parse(py.stdout.trim().split('\n').pop()!) as {
          torch: string;
          results: Record<string, PythonTiming>;
        })
      : null;
  const round = (v: number) => Number(v.toFixed(1));
  return {
    benchmark: 'models',
    size,
    batch,
    threads,
    reps,
    pytorch: reference ? reference.torch : `failed: ${(py.stderr || py.error?.message || '').trim().split('\n').pop()}`,
    results: ARCHS.map(([name, tv]) => {
      const theirs = reference?.results[tv];
      const { forward, train } = ours[name];
      const ratio = (a: number, b: number | undefined) => (b ? Number((a / b).toFixed(3)) : null);
      return {
        model: name,
        forward_ms: round(forward.ms),
        pytorch_forward_ms: theirs ? round(theirs.forward_ms) : null,
        forward_ratio: ratio(forward.ms, theirs?.forward_ms),
        forward_cpu_ratio: ratio(forward.cpuMs, theirs?.forward_cpu_ms),
        train_ms: round(train.ms),
        pytorch_train_ms: theirs ? round(theirs.train_ms) : null,
        train_ratio: ratio(train.ms, theirs?.train_ms),
        train_cpu_ratio: ratio(train.cpuMs, theirs?.train_cpu_ms),
      };
    }),
  };
}
