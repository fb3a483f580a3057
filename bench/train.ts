// `pneumo bench train`: training step time and peak resident memory of unet-resnet34 (256x256, batch 8)
// and classifier-densenet121 (256x256, batch 16), TypeScript against the same architecture in PyTorch,
// each side in its own child process run one after the other on the same machine (VmHWM read by the
// child from /proc/self/status, the same way on both sides); then images/s of whole training epochs
// with the real loader on synthetic chest-like PNGs (a cold epoch and a cached one), with the time the
// loop waited for data, to show whether data is the bottleneck. Targets: time ratio <= 1.05, memory
// ratio <= 1.10.
import { spawnSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';
import * as torch from '../src/torch/index.js';
import { Rng } from '../src/data/random.js';
import { encodeRle } from '../src/data/rle.js';
import { BatchLoader, type LoaderItem } from '../src/data/loader.js';
import { measureLoaderThroughput } from '../src/data/loader-throughput.js';
import { createModel, resolveConfig, type ModelConfig } from '../src/models/registry.js';
import { resolveTrainConfig } from '../src/train/config.js';
import { loaderSource, type BatchSource } from '../src/train/batch-source.js';
import { trainModel } from '../src/train/trainer.js';
import type { TrainableModel } from '../src/train/trainable-model.js';
import { PROJECT_ROOT } from '../src/project-paths.js';
import { PYTHON } from './support/python.js';
import { median } from './median.js';

const here = path.dirname(fileURLToPath(import.meta.url));

/** One training-step comparison, as both children receive it (JSON on the command line). */
export interface StepJob {
  model: string;
  size: number;
  batch: number;
  steps: number;
  warmup: number;
  threads: number;
  /** The TypeScript side's precision (bf16: autocast); the PyTorch side stays fp32, the baseline. */
  precision?: 'fp32' | 'bf16' | 'fp16';
  /** Both sides' device ('cpu' by default; scripts/gpu-check.sh passes cuda). */
  device?: string;
  /** The PyTorch side's precision (bf16: CPU/CUDA autocast); fp32 unless a benchmark asks (bench fit). */
  referencePrecision?: 'fp32' | 'bf16';
}

interface StepResult {
  parameters: number;
  stepMs: number[];
  medianStepMs: number;
  /** The fastest step: on a shared machine, the least disturbed measurement. */
  minStepMs: number;
  peakRssMiB: number | null;
  error?: string;
}

const round = (x: number | null, digits = 3) => (x === null || !Number.isFinite(x) ? null : Number(x.toFixed(digits)));

function runChild(command: string, args: string[], job: StepJob & { config?: ModelConfig }): StepResult {
  const out = spawnSync(command, [...args, JSON.stringify(job)], {
    encoding: 'utf8',
    cwd: PROJECT_ROOT,
    env: { ...process.env, PNEUMO_THREADS: String(job.threads), OMP_NUM_THREADS: String(job.threads) },
    maxBuffer: 1 << 24,
    timeout: 30 * 60 * 1000,
  });
  const line = out.stdout?.trim().split('\n').pop() ?? '';
  if (out.status !== 0 || !line.startsWith('{')) {
    const reason = (out.stderr || out.error?.message || `exit ${out.status}`).trim().split('\n').slice(-1)[0];
    return { parameters: 0, stepMs: [], medianStepMs: NaN, minStepMs: NaN, peakRssMiB: null, error: reason };
  }
  const r = JSON.parse(line) as { parameters: number; stepMs: number[]; vmHwmKiB: number | null };
  return {
    parameters: r.parameters,
    stepMs: r.stepMs.map((v) => round(v, 1)!),
    medianStepMs: round(median(r.stepMs), 1)!,
    minStepMs: round(Math.min(...r.stepMs), 1)!,
    peakRssMiB: r.vmHwmKiB === null ? null : round(r.vmHwmKiB / 1024, 1),
  };
}

export function compareStep(job: StepJob) {
  const typescript = runChild(process.execPath, [path.join(here, 'train-step.js')], job);
  // The PyTorch side builds the architecture from its resolved config (bench/registry_models.py).
  const pytorch = runChild(PYTHON, [path.join(PROJECT_ROOT, 'bench', 'train_reference.py')], {
    ...job,
    config: resolveConfig(job.model),
  });
  const timeRatio = typescript.medianStepMs / pytorch.medianStepMs;
  const memoryRatio =
    typescript.peakRssMiB !== null && pytorch.peakRssMiB !== null ? typescript.peakRssMiB / pytorch.peakRssMiB : NaN;
  return {
    model: job.model,
    size: job.size,
    batch: job.batch,
    steps: job.steps,
    typescript,
    pytorch,
    timeRatio: round(timeRatio),
    minTimeRatio: round(typescript.minStepMs / pytorch.minStepMs),
    memoryRatio: round(memoryRatio),
    imagesPerSecond: {
      typescript: round((1000 * job.batch) / typescript.medianStepMs, 2),
      pytorch: round((1000 * job.batch) / pytorch.medianStepMs, 2),
    },
    withinTargets: { time: timeRatio <= 1.05, memory: memoryRatio <= 1.1 },
  };
}

/** Chest-like 8-bit PNG sources with a rectangular "pneumothorax" on every other image. */
async function writeSources(dir: string, count: number, side: number): Promise<LoaderItem[]> {
  const rng = new Rng(2025);
  const items: LoaderItem[] = [];
  for (let k = 0; k < count; k++) {
    const pixels = new Uint8Array(side * side);
    const phase = rng.uniform(0, Math.PI);
    for (let y = 0; y < side; y++)
      for (let x = 0; x < side; x++) {
        const base =
          120 +
          60 * Math.sin((x * 1024) / side / 97 + phase) * Math.cos((y * 1024) / side / 131) +
          30 * Math.sin(((x + y) * 1024) / side / 23);
        pixels[y * side + x] = Math.max(0, Math.min(255, Math.round(base + rng.normal(0, 6))));
      }
    const imageId = `bench-train-${k}`;
    const file = path.join(dir, `${imageId}.png`);
    await sharp(pixels, { raw: { width: side, height: side, channels: 1 } })
      .png()
      .toFile(file);
    const mask = { width: side, height: side, data: new Uint8Array(side * side) };
    const positive = k % 2 === 0;
    if (positive)
      for (let y = side / 5; y < side / 2; y++) for (let x = side / 10; x < side / 4; x++) mask.data[y * side + x] = 1;
    items.push({ imageId, path: file, label: positive ? 1 : 0, rleRows: [encodeRle(mask)] });
  }
  return items;
}

/** A source that counts the time the loop spends waiting for each batch. */
function timed(source: BatchSource): BatchSource & { waitSeconds: Map<number, number> } {
  const waitSeconds = new Map<number, number>();
  return {
    waitSeconds,
    batchCount: (epoch) => source.batchCount(epoch),
    async *batches(epoch) {
      const iterator = source.batches(epoch)[Symbol.asyncIterator]();
      let waited = 0;
      try {
        for (;;) {
          const start = performance.now();
          const next = await iterator.next();
          waited += performance.now() - start;
          if (next.done) break;
          yield next.value;
        }
      } finally {
        await iterator.return?.();
        waitSeconds.set(epoch, waited / 1000);
      }
    },
    close: () => source.close(),
  };
}

async function epochThroughput(quick: boolean) {
  const model = quick ? 'unet-resnet18-w16' : 'unet-resnet34';
  const size = quick ? 64 : 256;
  const batch = quick ? 4 : 8;
  const count = quick ? 8 : 48;
  const side = quick ? 256 : 1024;
  const dir = await mkdtemp(path.join(tmpdir(), 'pneumo-bench-train-'));
  try {
    const items = await writeSources(dir, count, side);
    const augment = {
      hflip: { p: 0.5 },
      shiftScaleRotate: { p: 0.5 },
      brightnessContrast: { p: 0.5 },
      gamma: { p: 0.5 },
    };
    const config = resolveTrainConfig(
      'segmenter',
      {},
      {
        data: dir,
        out: path.join(dir, 'run'),
        model,
        size,
        batchSize: batch,
        epochs: 2,
        augment,
        positiveFraction: '0.5',
      },
    );
    const cacheDir = path.join(dir, 'cache');
    const trainLoader = await BatchLoader.open(items, {
      size,
      batchSize: batch,
      seed: 1,
      cacheDir,
      augment,
      sampling: { positiveFraction: 0.5 },
      dropLast: true,
    });
    const validationLoader = await BatchLoader.open(items.slice(0, batch), {
      size,
      batchSize: batch,
      seed: 1,
      cacheDir: path.join(dir, 'cache-val'),
      sampling: 'sequential',
    });
    const train = timed(loaderSource(trainLoader));
    torch.manualSeed(1);
    const net = createModel(model) as TrainableModel;
    let result;
    try {
      result = await trainModel({ config, model: net, train, validation: loaderSource(validationLoader) });
    } finally {
      net.dispose();
      await trainLoader.close();
      await validationLoader.close();
    }
    const loaderOnly = await measureLoaderThroughput(items, { size, batchSize: batch, seed: 2, augment });
    return {
      model,
      size,
      batch,
      sourceSide: side,
      images: count,
      workers: trainLoader.workers,
      epochs: result.history.map((r, i) => {
        const trainSeconds = (count - (count % batch)) / r.trainImagesPerSecond;
        const wait = train.waitSeconds.get(i) ?? NaN;
        return {
          epoch: r.epoch,
          cache: i === 0 ? 'cold' : 'warm',
          imagesPerSecond: round(r.trainImagesPerSecond, 2),
          dataWaitSeconds: round(wait, 2),
          dataWaitFraction: round(wait / trainSeconds, 3),
        };
      }),
      loaderOnly: {
        workers: loaderOnly.workers,
        coldImagesPerSecond: round(loaderOnly.coldImagesPerSecond, 1),
        cachedImagesPerSecond: round(loaderOnly.cachedImagesPerSecond, 1),
      },
    };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

export async function run({ quick, precision = 'fp32' }: { quick: boolean; precision?: string }): Promise<object> {
  if (precision !== 'fp32' && precision !== 'bf16' && precision !== 'fp16')
    throw new Error(`--precision ${precision}: fp32, bf16, or fp16 on CUDA`);
  // PNEUMO_THREADS (else every core), so a run on a loaded machine can hold both sides to one thread.
  const threads = torch.getNumThreads();
  const plain: StepJob[] = quick
    ? [
        { model: 'unet-resnet34', size: 64, batch: 2, steps: 2, warmup: 1, threads },
        { model: 'classifier-densenet121', size: 64, batch: 2, steps: 2, warmup: 1, threads },
      ]
    : [
        // Four warm-up steps: the first steps pay the allocator's growth and oneDNN's primitive creation
        // (forward and backward, per shape) on both sides, which two steps did not cover.
        { model: 'unet-resnet34', size: 256, batch: 8, steps: 8, warmup: 4, threads },
        { model: 'classifier-densenet121', size: 256, batch: 16, steps: 6, warmup: 4, threads },
      ];
  // scripts/gpu-check.sh runs both sides on a CUDA device.
  const device = process.env.PNEUMO_BENCH_DEVICE ?? 'cpu';
  const jobs = plain.map((job) => ({ ...job, precision, device }) as StepJob);
  const loadBefore = loadavg()[0];
  const steps = jobs.map(compareStep);
  // The loader's epochs do not depend on the precision; a bf16 run measures the steps only.
  const epoch = precision === 'fp32' && device === 'cpu' ? await epochThroughput(quick) : null;
  return {
    benchmark: 'train',
    quick,
    precision: { typescript: precision, pytorch: 'fp32' },
    device,
    threads: { typescript: threads, pytorch: threads },
    loadAverage: { before: round(loadBefore, 2), after: round(loadavg()[0], 2) },
    ratios: Object.fromEntries(
      steps.flatMap((s) => [
        [`${s.model}.time`, s.timeRatio],
        [`${s.model}.memory`, s.memoryRatio],
      ]),
    ),
    steps,
    epoch,
    note: 'ratios are TypeScript / PyTorch (lower is better for us): time of the median and of the fastest step, peak RSS; provisional on a shared machine',
  };
}
