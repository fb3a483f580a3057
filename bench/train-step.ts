// The TypeScript side of `pneumo bench train`, run as a child process so that its peak resident memory
// (VmHWM) is measured as the PyTorch child's is: the registry's model, the same synthetic batch, loss,
// AdamW and gradient clipping as bench/train_reference.py, timed per step after warm-up.
// Usage: node dist/bench/train-step.js '{"model": ..., "size": 256, "batch": 8, "steps": 8, "warmup": 2, "threads": 2}'
import { readFileSync } from 'node:fs';
import * as torch from '../src/torch/index.js';
import { AdamW, clipGradNorm } from '../src/torch/optim/index.js';
import { createModel } from '../src/models/registry.js';
import { bceWithLogitsLoss, softDiceLoss } from '../src/train/losses/index.js';
import type { SegmentationLogits } from '../src/train/trainable-model.js';
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
  const segmentation = job.model.startsWith('unet-');
  const optimizer = new AdamW(model.parameters(), { lr: 1e-3, weightDecay: 1e-4 });
  const { batch, size } = job;
  const images = torch.scope(() => torch.randn([batch, 1, size, size]).to(device)).keep();
  const masks = torch
    .scope(() =>
      torch
        .gt(torch.rand([batch, 1, size, size]), 0.8)
        .float()
        .to(device),
    )
    .keep();
  const labels = torch
    .scope(() => torch.tensor(Float32Array.from({ length: batch }, (_, i) => i % 2)).to(device))
    .keep();
  const stepMs: number[] = [];
  for (let step = 0; step < job.warmup + job.steps; step++) {
    const start = performance.now();
    torch.scope(() => {
      const out = torch.toFloat32(torch.withPrecision(job.precision ?? 'fp32', device, () => model.forward(images)));
      const loss = segmentation
        ? (() => {
            const mask = (out as SegmentationLogits).mask;
            return bceWithLogitsLoss(mask, masks).add(softDiceLoss(mask, masks));
          })()
        : bceWithLogitsLoss(out as torch.Tensor, labels);
      optimizer.zeroGrad();
      loss.backward();
      clipGradNorm(model.parameters(), 5);
      optimizer.step();
      loss.item();
    });
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
