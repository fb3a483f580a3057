// `pneumo bench checkpoint`: reading torch.save files into tensors, pneumo's restricted reader against
// PyTorch's torch.load on the same files in the same run: torchvision's resnet34 and densenet121 state
// dicts (zip format) and a whole pickled 1-channel DenseNet in the zip and the legacy format, all
// written by test/torch/golden/checkpoint_reference.py. Files are read once before timing, so both
// sides read from a warm page cache: this measures parsing and tensor construction, not the disk.
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import * as torch from '../src/torch/index.js';
import { median } from './median.js';
import { pythonJson, runPython } from './support/python.js';

const FILES = ['resnet34.pth', 'densenet121.pth', 'module.pt', 'module-legacy.pt'];

export async function run({ quick }: { quick: boolean }): Promise<object> {
  const reps = quick ? 3 : 15;
  const dir = mkdtempSync(path.join(tmpdir(), 'pneumo-bench-checkpoint-'));
  try {
    runPython('test/torch/golden/checkpoint_reference.py', 'models', dir);
    const files = FILES.map((f) => path.join(dir, f));
    const ours = files.map((file) => {
      const times: number[] = [];
      for (let i = 0; i <= reps; i++) {
        const start = performance.now();
        const { tensors } = torch.loadTorchCheckpoint(file);
        const seconds = (performance.now() - start) / 1000;
        for (const t of tensors.values()) t.dispose();
        if (i > 0) times.push(seconds); // the first call warms the page cache and the engine
      }
      return median(times);
    });
    const reference = pythonJson<Record<string, number>>('bench/checkpoint_load.py', String(reps + 1), ...files);
    return {
      benchmark: 'checkpoint-load',
      reps,
      files: files.map((file, i) => {
        const torchSeconds = reference[file];
        return {
          file: path.basename(file),
          megabytes: Math.round(statSync(file).size / 1e5) / 10,
          oursMs: Math.round(ours[i] * 1e4) / 10,
          torchLoadMs: Math.round(torchSeconds * 1e4) / 10,
          oursOverTorch: Math.round((ours[i] / torchSeconds) * 100) / 100,
        };
      }),
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
