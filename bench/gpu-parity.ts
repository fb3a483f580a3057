// `pneumo bench gpu-parity` (run by scripts/gpu-check.sh where a CUDA device exists): one forward and
// backward of unet-resnet34 on CUDA, against PyTorch CUDA (bench/gpu_parity.py) with the same weights
// and the same deterministic input: max abs difference of the outputs and of every parameter's
// gradient. Also checks that weights trained on the GPU save device-independently (they reload on
// the CPU). Refuses to run without a usable CUDA device.
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as torch from '../src/torch/index.js';
import { createModel, resolveConfig } from '../src/models/registry.js';
import { pythonJson } from './support/python.js';

const SIZE = 256;
const BATCH = 2;
const MODEL = 'unet-resnet34';

export async function run(): Promise<object> {
  if (torch.cudaDeviceCount() === 0) throw new Error('gpu-parity needs a CUDA libtorch and a CUDA device');
  const work = mkdtempSync(path.join(os.tmpdir(), 'pneumo-gpu-parity-'));
  try {
    torch.manualSeed(0);
    const model = createModel(MODEL).train();
    const weights = path.join(work, 'weights.safetensors');
    torch.saveSafetensors(weights, model.stateDict());
    model.to('cuda:0');
    const results = new Map<string, torch.Tensor>();
    torch.scope(() => {
      const data = new Float32Array(BATCH * SIZE * SIZE);
      for (let i = 0; i < data.length; i++) data[i] = Math.sin(i * 0.001);
      const x = torch.tensor(data, [BATCH, 1, SIZE, SIZE]).to('cuda:0');
      const out = (model.forward(x) as { mask: torch.Tensor }).mask;
      torch.mean(out).backward();
      results.set('output', out.detach().to('cpu').keep());
      for (const [name, p] of model.namedParameters())
        if (p.grad) results.set(`grad.${name}`, torch.scope(() => p.grad!.to('cpu')).keep());
    });
    const ours = path.join(work, 'ours.safetensors');
    torch.saveSafetensors(ours, results);
    for (const t of results.values()) t.dispose();
    // Saved from the GPU model: the file must load into a CPU model unchanged.
    const saved = path.join(work, 'from-gpu.safetensors');
    torch.saveSafetensors(saved, model.stateDict());
    model.dispose();
    const cpuModel = createModel(MODEL);
    const reloaded = torch.loadSafetensors(saved);
    cpuModel.loadStateDict(reloaded, { strict: true });
    for (const t of reloaded.values()) t.dispose();
    cpuModel.dispose();
    const python = pythonJson<object>(
      'bench/gpu_parity.py',
      JSON.stringify(resolveConfig(MODEL)),
      weights,
      ours,
      String(SIZE),
      String(BATCH),
    );
    return {
      benchmark: 'gpu-parity',
      model: MODEL,
      input: [BATCH, 1, SIZE, SIZE],
      device: torch.cudaDevices().devices[0] ?? null,
      saved_from_gpu_loads_on_cpu: true,
      ...python,
    };
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}
