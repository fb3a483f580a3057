// The TypeScript side of `pneumo bench train`, run as a child process so that its peak resident memory
// (VmHWM) is measured as the PyTorch child's is: the registry's model, the same synthetic batch, loss,
// AdamW and gradient clipping as bench/train_reference.py, timed per step after warm-up.
// Usage: node dist/bench/train-step.js '{"model": ..., "size": 256, "batch": 8, "steps": 8, "warmup": 2, "threads": 2}'
import { readFileSync } from 'node:fs';
import * as torch from '../src/torch/index.js';
import { AdamW } from '../src/torch/optim/index.js';
import { createModel } from '../src/models/registry.js';
import { syntheticBatch, syntheticTrainStep } from '../src/train/synthetic-step.js';
import type { StepJob } from './train.js';

function vmHwmKiB(): number | null {
  const match = /^VmHWM:\s+(\d+)\s+kB/m.exec(readFileSync('/proc/self/status', 'utf8'));
  return match ? Number(match[1]) : null;
}

function main(): void {
  const job = JSON.parse(process.argv[2]) as StepJob;
  torch.setNumThreads(job.threads);
  torch.manualSeed(1);
  const device = job.device ?? 'cpu';
  const model = createModel(job.model).to(device);
  model.train();
  const optimizer = new AdamW(model.parameters(), { lr: 1e-3, weightDecay: 1e-4 });
  const synthetic = syntheticBatch(job.batch, job.size, device);
  const stepMs: number[] = [];
  for (let step = 0; step < job.warmup + job.steps; step++) {
    const start = performance.now();
    syntheticTrainStep(model, optimizer, synthetic, job.precision ?? 'fp32', device);
    if (step >= job.warmup) stepMs.push(performance.now() - start);
  }
  process.stdout.write(
    JSON.stringify({
      side: 'typescript',
      model: job.model,
      parameters: model.parameterCount(),
      stepMs,
      vmHwmKiB: vmHwmKiB(),
    }) + '\n',
  );
}

main();
