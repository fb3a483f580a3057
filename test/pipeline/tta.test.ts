// Horizontal-flip TTA against outputs known without running the predictor twice: a tiny model with
// hand-set weights that reads each pixel's left neighbour (so it is not mirror-symmetric), whose
// probabilities with and without the flip are computed here by hand; and the symmetry argument (an
// image equal to its mirror gets the classifier's own probability back, and a mirror-symmetric map).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { makeBundle } from '../../src/pipeline/bundle.js';
import { Predictor } from '../../src/pipeline/predictor.js';
import { Rng } from '../../src/data/random.js';
import type { GrayImage } from '../../src/data/image.js';
import { tinyModelFactory, writeTinyRun } from './tiny-models.js';

const root = mkdtempSync(path.join(tmpdir(), 'pneumo-tta-'));
test.after(() => rmSync(root, { recursive: true, force: true }));

// Images at the models' input size, so that no resize stands between the pixels and the weights.
const W = 32;
const H = 16;
const sigmoid = (z: number) => 1 / (1 + Math.exp(-z));
/** What the model-input contract makes of a pixel value: 65535 grey levels. */
const level = (v: number) => Math.round(Math.fround(v) * 65535) / 65535;
const LEFT_NEIGHBOUR = 3;

async function bundle(name: string, tap: number | undefined, seed = 1): Promise<string> {
  const c = path.join(root, `${name}-c`);
  const s = path.join(root, `${name}-s`);
  const analytic = tap === undefined ? undefined : { gain: 4, bias: -1, tap };
  await writeTinyRun(c, { role: 'classifier', inputSize: [H, W], analytic, seed });
  await writeTinyRun(s, { role: 'segmenter', inputSize: [H, W], analytic, seed: seed + 1 });
  const out = path.join(root, name);
  await makeBundle({ classifierRun: c, segmenterRun: s, out, thresholds: { classifier: 0.5 } });
  return out;
}

/** Background 0.1, the first column 0.5, the last 0.9: what the left-neighbour model sees differs from its mirror. */
function edgeImage(): GrayImage {
  const pixels = new Float32Array(W * H).fill(0.1);
  for (let y = 0; y < H; y++) {
    pixels[y * W] = 0.5;
    pixels[y * W + W - 1] = 0.9;
  }
  return { width: W, height: H, pixels };
}

test('hflip TTA on a model that reads the left neighbour: the mean of the two passes, computed by hand', async () => {
  const dir = await bundle('left', LEFT_NEIGHBOUR);
  const plain = await Predictor.load(dir, { modelFactory: tinyModelFactory, threads: 1 });
  const tta = await Predictor.load(dir, { modelFactory: tinyModelFactory, threads: 1, tta: 'hflip' });
  const image = edgeImage();
  const x = (col: number, row: number) => (col < 0 || col >= W ? 0 : level(image.pixels[row * W + col]));

  // The classifier's logit is 4 * mean over pixels of relu(x at the left neighbour) - 1, zero padding.
  // Plainly it never sees the last column; in the mirror it never sees the (original) first one.
  let total = 0;
  for (let row = 0; row < H; row++) for (let col = 0; col < W; col++) total += x(col, row);
  const column = (col: number) => Array.from({ length: H }, (_, row) => x(col, row)).reduce((a, b) => a + b);
  const pPlain = sigmoid((4 * (total - column(W - 1))) / (W * H) - 1);
  const pMirror = sigmoid((4 * (total - column(0))) / (W * H) - 1);
  assert.ok(Math.abs(pPlain - pMirror) > 1e-3, 'the two passes differ');
  const [p] = plain.classify([image]);
  const [pTta] = tta.classify([image]);
  assert.ok(Math.abs(p - pPlain) < 1e-6, `plain ${p} vs ${pPlain}`);
  assert.ok(Math.abs(pTta - (pPlain + pMirror) / 2) < 1e-6, `tta ${pTta} vs ${(pPlain + pMirror) / 2}`);

  // The segmenter's pixel logit is 10 * x(col - 1) - 5; the mirrored pass, flipped back, reads x(col + 1).
  const map = plain.segmentProbabilities([image]).maps[0];
  const ttaMap = tta.segmentProbabilities([image]).maps[0];
  let worstPlain = 0;
  let worstTta = 0;
  for (let row = 0; row < H; row++)
    for (let col = 0; col < W; col++) {
      const left = sigmoid(10 * x(col - 1, row) - 5);
      const right = sigmoid(10 * x(col + 1, row) - 5);
      worstPlain = Math.max(worstPlain, Math.abs(map[row * W + col] - left));
      worstTta = Math.max(worstTta, Math.abs(ttaMap[row * W + col] - (left + right) / 2));
    }
  assert.ok(worstPlain < 1e-6, `plain map off by ${worstPlain}`);
  assert.ok(worstTta < 1e-6, `TTA map off by ${worstTta}`);

  // The whole pipeline takes its decision on the same averaged probability.
  const [withTta] = tta.predict([image]);
  assert.equal(withTta.probabilityUncalibrated, pTta);
  plain.dispose();
  tta.dispose();
});

test('hflip TTA and symmetry: an image equal to its mirror keeps its probability, and gets a mirror-symmetric map', async () => {
  const dir = await bundle('random', undefined, 5);
  const plain = await Predictor.load(dir, { modelFactory: tinyModelFactory, threads: 1 });
  const tta = await Predictor.load(dir, { modelFactory: tinyModelFactory, threads: 1, tta: true });
  const rng = new Rng(9);
  const pixels = new Float32Array(W * H);
  for (let y = 0; y < H; y++)
    for (let x = 0; x < W / 2; x++) pixels[y * W + x] = pixels[y * W + W - 1 - x] = rng.next();
  const symmetric = { width: W, height: H, pixels };
  const [p] = plain.classify([symmetric]);
  const [pTta] = tta.classify([symmetric]);
  // (p + p) / 2 is p to the bit in floating point.
  assert.equal(pTta, p);
  const map = plain.segmentProbabilities([symmetric]).maps[0];
  const ttaMap = tta.segmentProbabilities([symmetric]).maps[0];
  let asymmetryPlain = 0;
  let asymmetryTta = 0;
  for (let y = 0; y < H; y++)
    for (let x = 0; x < W; x++) {
      asymmetryPlain = Math.max(asymmetryPlain, Math.abs(map[y * W + x] - map[y * W + W - 1 - x]));
      asymmetryTta = Math.max(asymmetryTta, Math.abs(ttaMap[y * W + x] - ttaMap[y * W + W - 1 - x]));
      // The TTA map is the mean of the map and its mirror.
      const expected = (map[y * W + x] + map[y * W + W - 1 - x]) / 2;
      assert.ok(Math.abs(ttaMap[y * W + x] - expected) < 1e-6);
    }
  assert.ok(asymmetryPlain > 1e-4, 'the random segmenter is not mirror-symmetric by itself');
  assert.ok(asymmetryTta < 1e-6, `TTA map asymmetric by ${asymmetryTta}`);
  plain.dispose();
  tta.dispose();
});
