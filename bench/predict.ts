// `pneumo bench predict`: end-to-end two-stage prediction on the SIIM sample DICOMs (1024x1024, JPEG
// baseline) with the demo bundle at input 512 (DEMO_MODELS, random weights: time, not quality):
// latency per image by stage (read + decode, preprocess, classify, segment, postprocess = upsample to
// 1024 + pixel threshold + minimum area, encode = RLE) and throughput in images/s for batches, against
// the same pipeline in PyTorch eager with pydicom decode (bench/predict_reference.py), same machine,
// same run, same thread count. The PyTorch side builds the bundle's architectures by hand
// (bench/registry_models.py) and loads the bundle's own weights strictly by name, so both sides run the
// same networks; the parameter counts and the classifier's probabilities of both sides are printed as
// the check. The classifier threshold is 0 so that every image goes through both stages (the worst case).
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, mkdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as torch from '../src/torch/index.js';
import { readImage } from '../src/data/image-io.js';
import { createModel, IMAGENET_NORMALIZATION, MODELS } from '../src/models/index.js';
import { makeBundle } from '../src/pipeline/bundle.js';
import { DEMO_MODELS } from '../src/pipeline/demo-models.js';
import { Predictor, type StageTimings } from '../src/pipeline/predictor.js';
import { PROJECT_ROOT } from '../src/project-paths.js';
import { fixture } from './support/fixtures.js';
import { PYTHON } from './support/python.js';
import { endToEndOnnx, forwardRows } from './onnx-rows.js';
import { int8DemoRows } from './onnx-int8-demo.js';
import type { Mask } from '../src/data/image.js';
import { readBundleManifest } from '../src/pipeline/bundle.js';
import { assembledRunManifest, writeRunManifest } from '../src/train/run-manifest.js';
import { modelInput } from '../src/data/model-input.js';

const INPUT = 512;
const STAGES = ['read', 'preprocess', 'classify', 'segment', 'postprocess', 'encode'] as const;
type Stage = (typeof STAGES)[number];

export interface PredictBenchOptions {
  quick: boolean;
  /** Registry names; the demo's (DEMO_MODELS) by default. */
  classifier?: string;
  segmenter?: string;
  /** A demo folder (bundle/, data/, test-data/) whose bundle's int8 export is measured on its test films. */
  demo?: string;
}

/** Writes a training run folder with a freshly initialised registry model; returns its parameter count. */
function writeRun(dir: string, architecture: string, task: 'classifier' | 'segmenter'): number {
  mkdirSync(dir, { recursive: true });
  const model = createModel(architecture);
  const parameters = model.parameters().reduce((sum, p) => sum + p.numel, 0);
  torch.saveSafetensors(path.join(dir, 'best.safetensors'), model.stateDict());
  writeRunManifest(
    dir,
    assembledRunManifest({
      task,
      model: { name: architecture, config: model.config as Record<string, unknown> },
      input: modelInput(
        { width: INPUT, height: INPUT },
        { mean: IMAGENET_NORMALIZATION.grayMean, std: IMAGENET_NORMALIZATION.grayStd },
      ),
    }),
  );
  model.dispose();
  return parameters;
}

const round = (v: number, digits = 1) => Number(v.toFixed(digits));

export async function run({
  quick,
  classifier = DEMO_MODELS.classifier,
  segmenter = DEMO_MODELS.segmenter,
  demo,
}: PredictBenchOptions): Promise<object> {
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
    const oursParameters = {
      classifier: writeRun(path.join(work, 'c'), classifier, 'classifier'),
      segmenter: writeRun(path.join(work, 's'), segmenter, 'segmenter'),
    };
    const bundle = path.join(work, 'bundle');
    await makeBundle({
      classifierRun: path.join(work, 'c'),
      segmenterRun: path.join(work, 's'),
      out: bundle,
      thresholds: { classifier: 0 },
    });
    const predictor = await Predictor.load(bundle, { threads });

    predictor.predict([await readImage(files[0])]); // warm-up: codec, kernels
    const latency: Record<Stage, number> = {
      read: 0,
      preprocess: 0,
      classify: 0,
      segment: 0,
      postprocess: 0,
      encode: 0,
    };
    const oursProbabilities: number[] = [];
    const oursMasks: Mask[] = [];
    for (const file of files) {
      const start = performance.now();
      const image = await readImage(file);
      latency.read += performance.now() - start;
      const [p] = predictor.predict([image]);
      oursProbabilities.push(p.probability);
      oursMasks.push(p.mask);
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
      [path.join(PROJECT_ROOT, 'bench/predict_reference.py'), String(threads), '1', String(batch), bundle, ...files],
      {
        cwd: os.tmpdir(),
        encoding: 'utf8',
      },
    );
    let python: {
      latency_ms: Record<Stage, number>;
      latency_total_ms: number;
      images_per_s: number;
      parameters: { classifier: number; segmenter: number };
      classifier_probabilities: number[];
      versions: string;
    } | null = null;
    let pythonError: string | null = null;
    if (py.status === 0) python = JSON.parse(py.stdout.trim().split('\n').pop()!);
    else pythonError = (py.stderr || py.error?.message || 'failed').trim().split('\n').pop()!;

    // ONNX Runtime in the same run: the pipeline with --runtime onnx, and the U-Net/ResNet-34 forward at 512.
    const onnxruntime = {
      end_to_end: await endToEndOnnx(bundle, files, threads, batch, oursMasks),
      forward: await forwardRows({
        threads,
        reps: quick ? 1 : 5,
        size: quick ? 128 : INPUT,
        work,
        films: files,
        manifest: await readBundleManifest(bundle),
      }),
      demo_int8: demo ? await int8DemoRows(demo, work, threads) : null,
    };

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
      architectures: { classifier, segmenter },
      parameters: {
        registry: { classifier: MODELS[classifier].params, segmenter: MODELS[segmenter].params },
        ours: oursParameters,
        pytorch: python ? python.parameters : null,
        match: python
          ? python.parameters.classifier === oursParameters.classifier &&
            python.parameters.segmenter === oursParameters.segmenter &&
            oursParameters.classifier === MODELS[classifier].params &&
            oursParameters.segmenter === MODELS[segmenter].params
          : null,
      },
      classifier_probabilities: { ours: oursProbabilities, pytorch: python ? python.classifier_probabilities : null },
      // Same weights, same input: 0 (or float32 rounding) when both sides run the same network.
      classifier_probability_max_abs_diff: python
        ? Number(
            Math.max(
              ...oursProbabilities.map((p, i) => Math.abs(p - python.classifier_probabilities[i])),
            ).toExponential(2),
          )
        : null,
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
      onnxruntime,
      pytorch: python ? python.versions : `not run: ${pythonError}`,
      note: 'ratio < 1 for latency and > 1 for throughput means pneumo is faster; provisional figures on a shared machine',
    };
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}
