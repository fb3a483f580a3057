// Ensemble bundles (bundle.json's `folds`): a 2-member ensemble of tiny models gives the mean of the
// two single-model bundles' probabilities, for the classifier and per pixel for the segmenter, with
// and without TTA; a one-member `folds` changes nothing to the bit; bad `folds` are one-line problems;
// export refuses an ensemble.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import * as torch from '../../src/torch/index.js';
import { makeBundle, readBundleManifest } from '../../src/pipeline/bundle.js';
import { BUNDLE_MANIFEST, BundleError, type BundleManifest } from '../../src/pipeline/bundle-manifest.js';
import { Predictor } from '../../src/pipeline/predictor.js';
import { exportBundle } from '../../src/export/export-bundle.js';
import { Rng } from '../../src/data/random.js';
import type { GrayImage } from '../../src/data/image.js';
import { tinyModelFactory, writeTinyRun } from './tiny-models.js';

const root = mkdtempSync(path.join(tmpdir(), 'pneumo-ensemble-'));
test.after(() => rmSync(root, { recursive: true, force: true }));

const W = 64;
const H = 48;

/** A single-model bundle of random tiny models, the classifier at 16x32, the segmenter at 24x32. */
async function single(name: string, seed: number): Promise<string> {
  const c = path.join(root, `${name}-c`);
  const s = path.join(root, `${name}-s`);
  await writeTinyRun(c, { role: 'classifier', inputSize: [16, 32], seed });
  await writeTinyRun(s, { role: 'segmenter', inputSize: [24, 32], seed: seed + 100 });
  const out = path.join(root, name);
  await makeBundle({ classifierRun: c, segmenterRun: s, out, thresholds: { classifier: 0, pixel: 0.5, minArea: 0 } });
  return out;
}

const readManifest = (dir: string) =>
  JSON.parse(readFileSync(path.join(dir, BUNDLE_MANIFEST), 'utf8')) as BundleManifest;
const writeManifest = (dir: string, manifest: unknown) =>
  writeFileSync(path.join(dir, BUNDLE_MANIFEST), JSON.stringify(manifest, null, 2));

/** The ensemble of the given single bundles, as the fit command writes one: the first bundle's files plus one per further fold. */
function ensemble(name: string, members: readonly string[]): string {
  const out = path.join(root, name);
  cpSync(members[0], out, { recursive: true });
  const manifest = readManifest(out);
  for (const role of ['classifier', 'segmenter'] as const) {
    const folds = [manifest[role].weights];
    members.slice(1).forEach((member, k) => {
      const file = `${role}-fold${k + 2}.safetensors`;
      copyFileSync(path.join(member, readManifest(member)[role].weights), path.join(out, file));
      folds.push(file);
    });
    manifest[role] = { ...manifest[role], folds };
  }
  writeManifest(out, manifest);
  return out;
}

function images(): GrayImage[] {
  const rng = new Rng(3);
  return [0, 1, 2].map(() => ({ width: W, height: H, pixels: Float32Array.from({ length: W * H }, () => rng.next()) }));
}

const load = (dir: string, tta = false) => Predictor.load(dir, { modelFactory: tinyModelFactory, threads: 1, tta });

test('a 2-member ensemble gives the mean of the two bundles: image probabilities and pixel maps, with and without TTA', async () => {
  const a = await single('a', 1);
  const b = await single('b', 2);
  const e = ensemble('ab', [a, b]);
  const manifest = await readBundleManifest(e);
  assert.deepEqual(manifest.classifier.folds, ['classifier.safetensors', 'classifier-fold2.safetensors']);
  const batch = images();
  for (const tta of [false, true]) {
    const [pa, pb, pe] = await Promise.all([load(a, tta), load(b, tta), load(e, tta)]);
    assert.equal(pe.bundle.classifiers.length, 2);
    assert.equal(pe.bundle.segmenters.length, 2);
    const live = torch.liveTensors();
    const ca = pa.classify(batch);
    const cb = pb.classify(batch);
    const ce = pe.classify(batch);
    assert.equal(torch.liveTensors(), live, 'no tensor outlives a batch');
    for (let i = 0; i < batch.length; i++) {
      assert.ok(Math.abs(ca[i] - cb[i]) > 1e-4, 'the members differ');
      assert.ok(Math.abs(ce[i] - (ca[i] + cb[i]) / 2) < 1e-6, `tta ${tta} image ${i}: ${ce[i]}`);
    }
    const ma = pa.segmentProbabilities(batch).maps;
    const mb = pb.segmentProbabilities(batch).maps;
    const me = pe.segmentProbabilities(batch).maps;
    let worst = 0;
    for (let i = 0; i < batch.length; i++)
      for (let k = 0; k < me[i].length; k++) worst = Math.max(worst, Math.abs(me[i][k] - (ma[i][k] + mb[i][k]) / 2));
    assert.ok(worst < 1e-6, `tta ${tta}: pixel maps off by ${worst}`);
    // The pipeline thresholds the averaged map: predict's mask is the mean map's mask.
    const predicted = pe.predict(batch);
    for (let i = 0; i < batch.length; i++) {
      assert.equal(predicted[i].probabilityUncalibrated, ce[i]);
      const mean = Float32Array.from(ma[i], (v, k) => (v + mb[i][k]) / 2);
      const expected = pe.maskFromProbabilities(mean, 32, 24, W, H);
      let differing = 0;
      for (let k = 0; k < expected.data.length; k++) if (expected.data[k] !== predicted[i].mask.data[k]) differing++;
      // Only pixels whose mean lies within float rounding of the threshold may fall the other way.
      assert.ok(differing <= 2, `image ${i}: ${differing} mask pixels differ`);
    }
    for (const p of [pa, pb, pe]) p.dispose();
  }
});

test('folds naming only the weights file is the single model, to the bit', async () => {
  const a = await single('one', 4);
  const one = path.join(root, 'one-folds');
  cpSync(a, one, { recursive: true });
  const manifest = readManifest(one);
  for (const role of ['classifier', 'segmenter'] as const)
    manifest[role] = { ...manifest[role], folds: [manifest[role].weights] };
  writeManifest(one, manifest);
  const [plain, folded] = await Promise.all([load(a), load(one)]);
  const batch = images();
  assert.deepEqual(folded.classify(batch), plain.classify(batch));
  assert.deepEqual(folded.segmentProbabilities(batch), plain.segmentProbabilities(batch));
  plain.dispose();
  folded.dispose();
});

test('bad folds are one-line problems naming the field; a missing member file is named', async () => {
  const a = await single('bad', 6);
  const cases: [unknown, RegExp][] = [
    [[], /classifier\.folds is not a non-empty list of file names inside the bundle/],
    [['x/classifier.safetensors'], /classifier\.folds is not a non-empty list of file names/],
    [
      ['other.safetensors', 'classifier.safetensors'],
      /classifier\.folds starts with "other\.safetensors", expected the weights file "classifier\.safetensors"/,
    ],
    [['classifier.safetensors', 'classifier.safetensors'], /classifier\.folds names a file twice/],
    [['classifier.safetensors', 'fold2.safetensors'], /fold2\.safetensors is missing/],
  ];
  for (const [folds, expected] of cases) {
    const dir = path.join(root, 'bad-copy');
    rmSync(dir, { recursive: true, force: true });
    cpSync(a, dir, { recursive: true });
    const manifest = readManifest(dir);
    writeManifest(dir, { ...manifest, classifier: { ...manifest.classifier, folds } });
    await assert.rejects(readBundleManifest(dir), (err: unknown) => {
      assert.ok(err instanceof BundleError);
      assert.match(err.message, expected);
      assert.ok(!err.message.includes('\n'));
      return true;
    });
  }
});

test('export refuses an ensemble bundle with one line, before loading a model', async () => {
  const e = ensemble('to-export', [await single('x1', 8), await single('x2', 9)]);
  await assert.rejects(
    exportBundle(e, path.join(root, 'onnx')),
    /an ensemble bundle \(2 classifier folds, 2 segmenter folds\) cannot be exported: ONNX export writes one model per role/,
  );
});

test('the onnx runtime averages the members too', async () => {
  const a = await single('o1', 11);
  const b = await single('o2', 12);
  const e = ensemble('o12', [a, b]);
  const opts = { modelFactory: tinyModelFactory, threads: 1, runtime: 'onnx' as const };
  const libtorch = await load(e);
  const onnx = await Predictor.load(e, opts);
  const batch = images();
  const expected = libtorch.classify(batch);
  const got = onnx.classify(batch);
  for (let i = 0; i < batch.length; i++)
    assert.ok(Math.abs(got[i] - expected[i]) < 1e-5, `${got[i]} vs ${expected[i]}`);
  const maps = onnx.segmentProbabilities(batch).maps;
  const reference = libtorch.segmentProbabilities(batch).maps;
  let worst = 0;
  for (let i = 0; i < batch.length; i++)
    for (let k = 0; k < maps[i].length; k++) worst = Math.max(worst, Math.abs(maps[i][k] - reference[i][k]));
  assert.ok(worst < 1e-5, `maps off by ${worst}`);
  libtorch.dispose();
  onnx.dispose();
});
