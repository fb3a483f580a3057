// What the ONNX tests share: a bundle held in memory (registry models with seeded random weights,
// two identical copies so that each predictor prepares its own), ONNX Runtime run directly, Debian's
// onnx checker, and the largest difference between two maps.
import { spawnSync } from 'node:child_process';
import * as ort from 'onnxruntime-node';
import * as torch from '../../src/torch/index.js';
import { createModel, type ModelOptions } from '../../src/models/index.js';
import type { LoadedBundle } from '../../src/pipeline/bundle.js';
import type { BundleManifest } from '../../src/pipeline/bundle-manifest.js';
import { modelInput } from '../../src/data/model-input.js';
import type { PipelineModel } from '../../src/pipeline/model-contract.js';
import { PYTHON } from '../../bench/support/python.js';

export interface ModelSpec {
  name: string;
  options?: ModelOptions;
  size: { width: number; height: number };
}

function manifestOf(
  classifier: PipelineModel & { config: object },
  c: ModelSpec,
  segmenter: PipelineModel & { config: object },
  s: ModelSpec,
): BundleManifest {
  const entry = (model: { config: object }, spec: ModelSpec, weights: string) => ({
    architecture: spec.name,
    config: model.config as Record<string, unknown>,
    weights,
    input: modelInput(spec.size, { mean: 0.5, std: 0.25 }),
  });
  return {
    format: 'pneumo-bundle',
    formatVersion: 2,
    createdAt: '2026-01-01T00:00:00.000Z',
    classifier: entry(classifier, c, 'classifier.safetensors'),
    segmenter: entry(segmenter, s, 'segmenter.safetensors'),
    thresholds: { classifier: 0, pixel: 0.5, minArea: 0 },
    thresholdSource: { rule: 'test', split: 'none', images: null, at: '', siimScore: null },
    provenance: { classifier: {}, segmenter: {} },
    versions: { pneumo: 'test', libtorch: 'test', node: process.version },
  };
}

/** A bundle of two registry models held in memory, with random weights (seeded). */
export function memoryBundle(c: ModelSpec, s: ModelSpec, seed = 7): LoadedBundle {
  torch.manualSeed(seed);
  const classifier = createModel(c.name, c.options ?? {}).eval();
  const segmenter = createModel(s.name, s.options ?? {}).eval();
  return {
    dir: '(memory)',
    manifest: manifestOf(classifier, c, segmenter, s),
    classifier,
    segmenter,
    classifiers: [classifier],
    segmenters: [segmenter],
    dispose() {
      classifier.dispose();
      segmenter.dispose();
    },
  };
}

/**
 * The same bundle for a second predictor, which leaves disposing to the first. The onnx engine reads
 * the models once, when it exports them, so it can go first and a libtorch predictor use them after.
 */
export const borrowed = (bundle: LoadedBundle): LoadedBundle => ({ ...bundle, dispose: () => {} });

/** Runs an ONNX model file (bytes) on one float32 input in ONNX Runtime. */
export async function runOnnx(
  bytes: Uint8Array,
  data: Float32Array,
  dims: readonly number[],
): Promise<{ data: Float32Array; dims: readonly number[] }> {
  const session = await ort.InferenceSession.create(bytes);
  try {
    const out = await session.run({ [session.inputNames[0]]: new ort.Tensor('float32', data, dims) });
    const t = out[session.outputNames[0]];
    return { data: t.data as Float32Array, dims: t.dims };
  } finally {
    await session.release();
  }
}

export const onnxCheckerAvailable = spawnSync(PYTHON, ['-c', 'import onnx.checker'], { stdio: 'ignore' }).status === 0;

/** Debian's onnx.checker.check_model(full_check=True) on a file: null when it passes, else its message. */
export function onnxCheckerError(file: string): string | null {
  const run = spawnSync(
    PYTHON,
    ['-c', 'import onnx, sys; onnx.checker.check_model(onnx.load(sys.argv[1]), full_check=True)', file],
    { encoding: 'utf8' },
  );
  return run.status === 0 ? null : run.stderr.trim().split('\n').slice(-3).join(' ');
}

export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) return Infinity;
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}
