// `pneumo bench predict`: end-to-end two-stage prediction on the SIIM sample DICOMs (1024x1024, JPEG
// baseline) with both models at input 512: latency per image by stage (read + decode, preprocess,
// classify, segment, postprocess = upsample to 1024 + pixel threshold + minimum area, encode = RLE)
// and throughput in images/s for batches, against the same pipeline in PyTorch eager with pydicom
// decode (bench/predict_reference.py), same machine, same run, same thread count. The classifier
// threshold is 0 so that every image goes through both stages (the worst case).
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as torch from '../src/torch/index.js';
import { readImage } from '../src/data/image-io.js';
import { makeBundle } from '../src/pipeline/bundle.js';
import { Predictor, type StageTimings } from '../src/pipeline/predictor.js';
import { fixture, PROJECT_ROOT } from '../test/fixture-path.js';
import { benchModelFactory } from './predict-models.js';

const PYTHON = '/usr/bin/python3';
const INPUT = 512;
const STAGES = ['read', 'preprocess', 'classify', 'segment', 'postprocess', 'encode'] as const;
type Stage = (typeof STAGES)[number];

async function writeRun(dir: string, architecture: string): Promise<void> {
  mkdirSync(dir, { recursive: true });
  const model = benchModelFactory(architecture, {});
  torch.saveSafetensors(path.join(dir, 'best.safetensors'), model.stateDict());
  model.dispose();
  const run = {
    model: { name: architecture, config: {} },
    inputSize: INPUT,
    normalization: { mean: 0.449, std: 0.226 },
  };
  writeFileSync(path.join(dir, 'run.json'), JSON.stringify(run));
}

const round = (v: number, digits = 1) => Number(v.toFixed(digits));

export async function run({ quick }: { quick: boolean }): Promise<object> {
  const dir = fixture('siim-sample');
  const all = readdirSync(dir)
    .filter((f) => f.endsWith('.dcm'))
    .sort()
    .map((f) => path.join(dir, f));
  const files = quick ? all.slice(0, 3) : all;
  const batch = 4;
  const threads = os.availableParallelism();
  const work = mkdtempSync(path.join(os.tmpdir(), 'pneumo-bench-predict-'));
  try {
    torch.manualSeed(0);
    await writeRun(path.join(work, 'c'), 'bench-classifier');
    await writeRun(path.join(work, 's'), 'bench-unet');
    const bundle = path.join(work, 'bundle');
    await makeBundle({
      classifierRun: path.join(work, 'c'),
      segmenterRun: path.join(work, 's'),
      out: bundle,
      thresholds: { classifier: 0 },
    });
    const predictor = await Predictor.load(bundle, { modelFactory: benchModelFactory, threads });

    predictor.predict([await readImage(files[0])]); // warm-up: codec, kernels
    const latency: Record<Stage, number> = {
      read: 0,
      preprocess: 0,
      classify: 0,
      segment: 0,
      postprocess: 0,
      encode: 0,
    };
    for (const file of files) {
      const start = performance.now();
      const image = await readImage(file);
      latency.read += performance.now() - start;
      const [p] = predictor.predict([image]);
      for (const stage of STAGES.slice(1) as (keyof StageTimings)[]) latency[stage] += p.timings[stage];
    }
    for (const s of STAGES) latency[s] /= files.length;
    const oursLatency = STAGES.reduce((a, s) => a + latency[s], 0);

    const started = performance.now();
    for (let i = 0; i < files.length; i += batch) {
      const images = await Promise.all(files.slice(i, i + batch).map((f) => readImage(f)));
      predictor.predict(images);
    }
    const oursThroughput = files.length / ((performance.now() - started) / 1000);
    predictor.dispose();

    const py = spawnSync(
      PYTHON,
      [
        path.join(PROJECT_ROOT, 'bench/predict_reference.py'),
        String(threads),
        String(INPUT),
        '1',
        String(batch),
        ...files,
      ],
      {
        cwd: os.tmpdir(),
        encoding: 'utf8',
      },
    );
    let python: {
      latency_ms: Record<Stage, number>;
      latency_total_ms: number;
      images_per_s: number;
      versions: string;
    } | null = null;
    let pythonError: string | null = null;
    if (py.status === 0) python = JSON.parse(py.stdout.trim().split('\n').pop()!);
    else pythonError = (py.stderr || py.error?.message || 'failed').trim().split('\n').pop()!;

    const byStage = Object.fromEntries(
      STAGES.map((s) => [
        s,
        {
          ours_ms: round(latency[s]),
          pytorch_ms: python ? round(python.latency_ms[s]) : null,
          ratio: python ? round(latency[s] / python.latency_ms[s], 2) : null,
        },
      ]),
    );
    return {
      benchmark: 'predict',
      images: files.length,
      image_size: '1024x1024 SIIM DICOM (JPEG baseline)',
      input_size: INPUT,
      architectures:
        'stand-ins of bench/predict-models.ts (VGG-style classifier, U-Net on the same encoder; channels 16-128), identical on both sides',
      threads,
      batch,
      latency_ms: {
        ours: round(oursLatency),
        pytorch: python ? round(python.latency_total_ms) : null,
        ratio_ours_over_pytorch: python ? round(oursLatency / python.latency_total_ms, 3) : null,
      },
      by_stage: byStage,
      throughput_images_per_s: {
        ours: round(oursThroughput, 3),
        pytorch: python ? round(python.images_per_s, 3) : null,
        ratio_ours_over_pytorch: python ? round(oursThroughput / python.images_per_s, 3) : null,
      },
      pytorch: python ? python.versions : `not run: ${pythonError}`,
      note: 'ratio < 1 for latency and > 1 for throughput means pneumo is faster; provisional figures on a shared machine',
    };
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}
