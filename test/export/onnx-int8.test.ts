// `pneumo export --int8`: the QDQ model ONNX Runtime loads and fuses into QLinearConv (u8 activations,
// s8 per-channel weights). On a one-convolution model its output stays within the error the
// quantisation steps allow (derived below); on the registry bundle, Debian's onnx checker accepts the
// int8 files, ONNX Runtime fuses every quantised convolution, the outputs stay near fp32's, and
// --runtime onnx-int8 runs the files kept in the bundle's onnx/ folder (and refuses a stale one), and
// --runtime auto picks it there.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, cpSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import * as ort from 'onnxruntime-node';
import onnxProto from 'onnx-proto';
import * as torch from '../../src/torch/index.js';
import { nn } from '../../src/torch/index.js';
import { traceToOnnx } from '../../src/export/trace-onnx.js';
import { calibrateActivations } from '../../src/export/calibrate-onnx.js';
import {
  activationQuantisation,
  quantisationPlan,
  quantiseQdq,
  quantiseWeights,
} from '../../src/export/qdq-quantize.js';
import { readOnnxMetadata } from '../../src/export/onnx-graph.js';
import { readImage } from '../../src/data/image-source.js';
import { preprocessBatch } from '../../src/pipeline/preprocess.js';
import { Predictor } from '../../src/pipeline/predictor.js';
import { chooseRuntime } from '../../src/pipeline/runtime-choice.js';
import type { BundleManifest } from '../../src/pipeline/bundle-manifest.js';
import { registryBundle } from '../interop/registry-bundle.js';
import { runPneumo } from '../cli/run-pneumo.js';
import { fixture } from '../fixture-path.js';
import { maxAbsDiff, onnxCheckerAvailable, onnxCheckerError, runOnnx } from './onnx-support.js';

const root = mkdtempSync(path.join(tmpdir(), 'pneumo-int8-'));
test.after(() => rmSync(root, { recursive: true, force: true }));

/** The optimised graph's op types (domain:op) and counts, as ONNX Runtime's CPU provider rewrote it. */
async function optimisedOps(bytes: Uint8Array, name: string): Promise<Record<string, number>> {
  const file = path.join(root, `${name}.optimised.onnx`);
  const session = await ort.InferenceSession.create(bytes, {
    graphOptimizationLevel: 'all',
    optimizedModelFilePath: file,
    intraOpNumThreads: 1,
  });
  await session.release();
  const counts: Record<string, number> = {};
  for (const n of onnxProto.onnx.ModelProto.decode(readFileSync(file)).graph?.node ?? []) {
    const key = `${n.domain || 'ai.onnx'}:${n.opType}`;
    counts[key] = (counts[key] ?? 0) + 1;
  }
  return counts;
}

test('a one-convolution model in int8: QLinearConv, within the bound the quantisation steps give', async () => {
  torch.manualSeed(3);
  const conv = new nn.Conv2d(1, 8, 3, { padding: 1 });
  const model = new nn.Sequential(conv, new nn.ReLU()).eval();
  const size = 16;
  const example = torch.zeros([1, 1, size, size]).keep();
  const traced = traceToOnnx(model, (x) => model.forward(x), {
    input: { name: 'image', example },
    outputs: ['y'],
    dynamicBatch: false,
  });
  example.dispose();
  const fp32 = traced.graph.encode({
    name: 'one-conv',
    inputs: traced.inputs,
    outputs: traced.outputs,
    opset: 17,
    producerVersion: 'test',
    metadata: {},
  });
  const dims = [1, 1, size, size];
  const inputs = [0, 1, 2].map((k) => ({
    data: Float32Array.from({ length: size * size }, (_, i) => 2 * Math.sin(0.37 * i + k) - 0.5),
    dims,
  }));
  const ranges = await calibrateActivations(fp32, inputs, 1);
  const int8 = quantiseQdq(fp32, ranges, { calibration: 'min/max' });
  const ops = await optimisedOps(int8, 'one-conv');
  assert.equal(ops['com.microsoft:QLinearConv'], 1, JSON.stringify(ops));
  assert.equal(ops['ai.onnx:Conv'], undefined, JSON.stringify(ops));

  // |y8 - y| <= (s_x/2) sum|w8| + (s_w/2) sum|x| + s_x s_w / 2 (bias) + s_y / 2 (output), per channel,
  // with sum|x| over the 3x3 window at most 9 max|x|: the rounding of each quantised quantity, carried through.
  const [inputName, outputName] = quantisationPlan(onnxProto.onnx.ModelProto.decode(fp32)).activations;
  const sx = activationQuantisation(ranges.get(inputName)!).scale;
  const sy = activationQuantisation(ranges.get(outputName)!).scale;
  const w = conv.param('weight').toFloat32Array();
  const { scales } = quantiseWeights(w, 8);
  const maxX = Math.max(...inputs.flatMap((i) => [...i.data].map(Math.abs)));
  let bound = 0;
  for (let c = 0; c < 8; c++) {
    let sumW = 0;
    for (let i = c * 9; i < (c + 1) * 9; i++) sumW += Math.abs(w[i]) + scales[c] / 2;
    bound = Math.max(bound, (sx / 2) * sumW + (scales[c] / 2) * 9 * maxX + (sx * scales[c]) / 2 + sy / 2);
  }
  for (const { data } of inputs) {
    const a = await runOnnx(fp32, data, dims);
    const b = await runOnnx(int8, data, dims);
    const diff = maxAbsDiff(a.data, b.data);
    assert.ok(diff <= bound, `int8 differs by ${diff}, bound ${bound}`);
    assert.ok(diff > 0, 'the int8 model computes in integers, not a copy of fp32');
  }
});

test('pneumo export --int8: the checker accepts the files; ONNX Runtime fuses every quantised convolution; outputs near fp32', async () => {
  const bundle = await registryBundle(root);
  // Into the bundle's own onnx/ folder, where --runtime onnx-int8 reads it.
  const out = path.join(bundle, 'onnx');
  const calibration = fixture('siim-sample');
  const run = runPneumo([
    'export',
    '--bundle',
    bundle,
    '--out',
    out,
    '--int8',
    '--calibrate-on',
    calibration,
    '--calibration-images',
    '4',
    '--threads',
    '1',
    '--json',
  ]);
  assert.equal(run.status, 0, run.stderr);
  const report = JSON.parse(run.stdout) as {
    files: { file: string; precision: string; calibration?: { images: number } }[];
  };
  assert.deepEqual(
    report.files.map((f) => `${path.basename(f.file)} ${f.precision} ${f.calibration?.images ?? '-'}`),
    ['classifier.onnx fp32 -', 'classifier.int8.onnx int8 4', 'segmenter.onnx fp32 -', 'segmenter.int8.onnx int8 4'],
  );
  const manifest = JSON.parse(readFileSync(path.join(bundle, 'bundle.json'), 'utf8')) as BundleManifest;
  const film = await readImage(fixture('siim-sample', '1.2.276.0.7230010.3.1.4.8323329.4904.1517875185.355709.dcm'));
  for (const role of ['classifier', 'segmenter'] as const) {
    const int8File = path.join(out, `${role}.int8.onnx`);
    if (onnxCheckerAvailable) assert.equal(onnxCheckerError(int8File), null);
    const int8 = readFileSync(int8File);
    const meta = readOnnxMetadata(int8);
    assert.equal(meta.metadata['pneumo.role'], role, 'the fp32 metadata is kept');
    const quantisation = JSON.parse(meta.metadata['pneumo.quantisation']) as { convolutions: number };
    const ops = await optimisedOps(int8, role);
    assert.equal(ops['com.microsoft:QLinearConv'], quantisation.convolutions, JSON.stringify(ops));
    const { data, dims } = torch.scope(() => {
      const t = preprocessBatch([film], manifest[role].input);
      return { data: t.toFloat32Array(), dims: t.shape };
    });
    const a = await runOnnx(readFileSync(path.join(out, `${role}.onnx`)), data, dims);
    const b = await runOnnx(int8, data, dims);
    // Random weights through some twenty quantised layers: a few percent of the probability scale.
    assert.ok(maxAbsDiff(a.data, b.data) < 0.1, `${role}: int8 differs from fp32 by ${maxAbsDiff(a.data, b.data)}`);
  }
  const missing = runPneumo(['export', '--bundle', bundle, '--out', out, '--int8']);
  assert.equal(missing.status, 2);
  assert.match(missing.stderr, /--int8 needs --calibrate-on/);

  // --runtime onnx-int8 runs these files; a file from other weights is refused, naming the remedy.
  const predictor = await Predictor.load(bundle, { runtime: 'onnx-int8', threads: 1 });
  try {
    const { data, dims } = torch.scope(() => {
      const t = preprocessBatch([film], manifest.classifier.input);
      return { data: t.toFloat32Array(), dims: t.shape };
    });
    const direct = await runOnnx(readFileSync(path.join(out, 'classifier.int8.onnx')), data, dims);
    assert.ok(maxAbsDiff(predictor.classify([film]), direct.data) < 1e-6);
  } finally {
    predictor.dispose();
  }
  const stale = path.join(root, 'stale-bundle');
  cpSync(bundle, stale, { recursive: true });
  copyFileSync(path.join(out, 'classifier.int8.onnx'), path.join(stale, 'onnx', 'segmenter.int8.onnx'));
  await assert.rejects(
    Predictor.load(stale, { runtime: 'onnx-int8', threads: 1 }),
    /segmenter\.int8\.onnx was not exported from this bundle's weights \(export again: pneumo export --bundle/,
  );

  // --runtime auto: int8 where the bundle holds its own int8 export and the run is fp32 on the CPU.
  assert.deepEqual(await chooseRuntime(bundle, 'auto'), {
    runtime: 'onnx-int8',
    note: `runtime: onnx-int8 (the int8 export in ${out}; --runtime libtorch runs the bundle as trained)`,
  });
  assert.equal((await chooseRuntime(bundle, 'auto', { precision: 'bf16' })).runtime, 'libtorch');
  assert.equal((await chooseRuntime(bundle, 'libtorch')).runtime, 'libtorch');
  assert.deepEqual(await chooseRuntime(root, 'auto'), { runtime: 'libtorch', note: null });
  const passedOver = await chooseRuntime(stale, 'auto');
  assert.equal(passedOver.runtime, 'libtorch');
  assert.match(passedOver.note ?? '', /int8 export of other weights for the segmenter; export again/);
});
