// `pneumo export`: the files Debian's onnx checker accepts, with the input contract and thresholds in
// their metadata; ONNX Runtime running them gives the libtorch predictor's probabilities on a SIIM
// sample film; PyTorch's own torch.onnx.export of the same weights (bench/registry_models.py's build)
// gives the same outputs in ONNX Runtime; an op without a converter is a named error.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import * as torch from '../../src/torch/index.js';
import { nn } from '../../src/torch/index.js';
import { readImage } from '../../src/data/image-source.js';
import { Predictor } from '../../src/pipeline/predictor.js';
import { resolveConfig, type ModelOptions } from '../../src/models/index.js';
import { preprocessBatch } from '../../src/pipeline/preprocess.js';
import type { BundleManifest } from '../../src/pipeline/bundle-manifest.js';
import { readOnnxMetadata } from '../../src/export/onnx-graph.js';
import { ExportError, traceToOnnx } from '../../src/export/trace-onnx.js';
import { pythonJson } from '../../bench/support/python.js';
import { registryBundle } from '../interop/registry-bundle.js';
import { runPneumo } from '../cli/run-pneumo.js';
import { fixture } from '../fixture-path.js';
import { maxAbsDiff, onnxCheckerAvailable, onnxCheckerError, runOnnx } from './onnx-support.js';

const root = mkdtempSync(path.join(tmpdir(), 'pneumo-export-'));
test.after(() => rmSync(root, { recursive: true, force: true }));

const FILM = fixture('siim-sample', '1.2.276.0.7230010.3.1.4.8323329.4904.1517875185.355709.dcm');
const bundle = await registryBundle(root);
const out = path.join(root, 'onnx');
const manifest = JSON.parse(readFileSync(path.join(bundle, 'bundle.json'), 'utf8')) as BundleManifest;
const film = await readImage(FILM);

/** The film preprocessed for one model of the bundle, twice (a batch of 2), as a flat float32 array. */
function input(role: 'classifier' | 'segmenter'): { data: Float32Array; dims: number[] } {
  return torch.scope(() => {
    const t = preprocessBatch([film, film], manifest[role].input);
    return { data: t.toFloat32Array(), dims: t.shape };
  });
}

test('pneumo export writes both models, bundle.json beside them and the contract in the metadata', () => {
  const run = runPneumo(['export', '--bundle', bundle, '--out', out, '--dynamic-batch', '--json']);
  assert.equal(run.status, 0, run.stderr);
  const report = JSON.parse(run.stdout) as { opset: number; files: { role: string; file: string }[] };
  assert.deepEqual(
    report.files.map((f) => path.basename(f.file)),
    ['classifier.onnx', 'segmenter.onnx'],
  );
  assert.equal(
    readFileSync(path.join(out, 'bundle.json'), 'utf8'),
    readFileSync(path.join(bundle, 'bundle.json'), 'utf8'),
  );
  for (const role of ['classifier', 'segmenter'] as const) {
    const meta = readOnnxMetadata(readFileSync(path.join(out, `${role}.onnx`)));
    assert.equal(meta.opset, 17);
    assert.deepEqual(meta.inputs, ['image']);
    assert.deepEqual(meta.outputs, [role === 'classifier' ? 'probability' : 'mask']);
    assert.equal(meta.metadata['pneumo.role'], role);
    assert.equal(meta.metadata['pneumo.architecture'], manifest[role].architecture);
    assert.deepEqual(JSON.parse(meta.metadata['pneumo.thresholds']), manifest.thresholds);
    const contract = JSON.parse(meta.metadata['pneumo.input']) as Record<string, unknown>;
    assert.equal(contract.width, manifest[role].input.width);
    assert.equal(contract.height, manifest[role].input.height);
    assert.deepEqual(contract.contract, manifest[role].input, "the bundle's whole model-input contract");
    assert.deepEqual(contract.normalization, {
      ...manifest[role].input.normalization,
      formula: '(pixel - mean) / std',
    });
    // Folded into the convolutions, as the predictor folds them.
    assert.ok(!meta.opTypes.includes('BatchNormalization'), meta.opTypes.join(', '));
    assert.ok(meta.opTypes.includes('Conv'));
  }
});

test(
  'Debian onnx checker (full_check) accepts both files',
  { skip: !onnxCheckerAvailable && 'no python3-onnx' },
  () => {
    for (const role of ['classifier', 'segmenter'])
      assert.equal(onnxCheckerError(path.join(out, `${role}.onnx`)), null);
  },
);

test('ONNX Runtime on the exported files gives the libtorch predictor probabilities (1e-4, batch of 2)', async () => {
  const predictor = await Predictor.load(bundle, { threads: 2 });
  try {
    const classifier = await runOnnx(
      readFileSync(path.join(out, 'classifier.onnx')),
      input('classifier').data,
      input('classifier').dims,
    );
    assert.deepEqual(classifier.dims, [2]);
    const expected = predictor.classify([film, film]);
    assert.ok(maxAbsDiff(classifier.data, expected) < 1e-4, `${classifier.data} vs ${expected}`);
    const segmenter = await runOnnx(
      readFileSync(path.join(out, 'segmenter.onnx')),
      input('segmenter').data,
      input('segmenter').dims,
    );
    const { width, height } = manifest.segmenter.input;
    assert.deepEqual(segmenter.dims, [2, 1, height, width]);
    const maps = predictor.segmentProbabilities([film]);
    assert.ok(maxAbsDiff(segmenter.data.subarray(0, width * height), maps.maps[0]) < 1e-4);
    assert.ok(maxAbsDiff(segmenter.data.subarray(width * height), maps.maps[0]) < 1e-4);
  } finally {
    predictor.dispose();
  }
});

test('torch.onnx.export of the same weights (bench/registry_models.py) runs to the same outputs', async () => {
  for (const role of ['classifier', 'segmenter'] as const) {
    const theirs = path.join(root, `${role}-torch.onnx`);
    pythonJson(
      'test/export/torch_onnx_export.py',
      path.join(bundle, manifest[role].weights),
      JSON.stringify(resolveConfig(manifest[role].architecture, manifest[role].config as ModelOptions)),
      String(manifest[role].input.height),
      String(manifest[role].input.width),
      theirs,
    );
    // PyTorch's file has a fixed batch of 1: both run on the film once.
    const { data, dims } = input(role);
    const one = data.subarray(0, data.length / 2);
    const oneDims = [1, ...dims.slice(1)];
    const a = await runOnnx(readFileSync(theirs), one, oneDims);
    const b = await runOnnx(readFileSync(path.join(out, `${role}.onnx`)), one, oneDims);
    assert.ok(a.data.length === b.data.length && a.data.length > 0);
    const diff = maxAbsDiff(a.data, b.data);
    assert.ok(diff < 1e-4, `${role}: torch.onnx.export and pneumo export differ by ${diff}`);
  }
});

test('export refuses an op it cannot convert, naming it; bad options and bundles are one-line errors', () => {
  class Cumulative extends nn.Module {
    forward(x: torch.Tensor): torch.Tensor {
      return torch.cumsum(x, 3);
    }
  }
  const model = new Cumulative().eval();
  const example = torch.zeros([1, 1, 4, 4]).keep();
  assert.throws(
    () =>
      traceToOnnx(model, (x) => model.forward(x), {
        input: { name: 'image', example },
        outputs: ['y'],
        dynamicBatch: false,
      }),
    (err: Error) => err.name === 'ExportError' && /aten::cumsum has no ONNX export/.test(err.message),
  );
  assert.throws(
    () =>
      traceToOnnx(model.train(), (x) => x, { input: { name: 'image', example }, outputs: ['y'], dynamicBatch: false }),
    ExportError,
  );
  example.dispose();
  const badOpset = runPneumo(['export', '--bundle', bundle, '--out', out, '--opset', '19']);
  assert.equal(badOpset.status, 2);
  assert.match(badOpset.stderr, /^pneumo: .*opset from 13 to 17, got "19"/);
  const noBundle = runPneumo(['export', '--bundle', path.join(root, 'missing'), '--out', out]);
  assert.equal(noBundle.status, 1);
  assert.match(noBundle.stderr, /^pneumo: bundle .*missing: no such folder\n$/);
});
