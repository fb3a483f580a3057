import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import * as torch from '../../src/torch/index.js';
import { makeBundle } from '../../src/pipeline/bundle.js';
import { Predictor } from '../../src/pipeline/predictor.js';
import { decodeRle } from '../../src/data/rle.js';
import { Rng } from '../../src/data/random.js';
import { tinyModelFactory, writeTinyRun } from './tiny-models.js';
import { mirrorImage, squareImage, squareMask } from './synthetic-images.js';

const root = mkdtempSync(path.join(tmpdir(), 'pneumo-predictor-'));
test.after(() => rmSync(root, { recursive: true, force: true }));

const W = 128;
const H = 64;
const SQUARE = { x: 32, y: 16, side: 32 };
const sigmoid = (z: number) => 1 / (1 + Math.exp(-z));

async function bundle(name: string, analytic: boolean): Promise<string> {
  const c = path.join(root, `${name}-c`);
  const s = path.join(root, `${name}-s`);
  // Classifier at 16x32 (a 4x area reduction), segmenter at 32x64 (2x): both exact for 64x128 images.
  await writeTinyRun(c, {
    role: 'classifier',
    inputSize: [16, 32],
    analytic: analytic ? { gain: 50, bias: -8 } : undefined,
    seed: 3,
  });
  await writeTinyRun(s, { role: 'segmenter', inputSize: [32, 64], analytic: analytic ? {} : undefined, seed: 4 });
  const out = path.join(root, name);
  await makeBundle({ classifierRun: c, segmenterRun: s, out, thresholds: { classifier: 0.5 } });
  return out;
}

test('known answers: probability, gate, mask, area, box and RLE of the analytic models', async () => {
  const predictor = await Predictor.load(await bundle('analytic', true), {
    modelFactory: tinyModelFactory,
    threads: 1,
  });
  const live = torch.liveTensors();
  const [positive, negative] = predictor.predict([squareImage(W, H, SQUARE), squareImage(W, H, null)]);
  assert.equal(torch.liveTensors(), live, 'no tensor outlives a batch');
  // Mean intensity 0.1 + 0.8 * 1024 / 8192 = 0.2 -> logit 50 * 0.2 - 8 = 2; without the square 5 - 8 = -3;
  // the model-input contract first rounds each pixel to 65535 levels (0.1 to 6554 / 65535).
  const level = (v: number) => Math.round(Math.fround(v) * 65535) / 65535;
  const mean = level(0.1) + ((level(0.9) - level(0.1)) * 1024) / 8192;
  assert.ok(Math.abs(positive.probability - sigmoid(50 * mean - 8)) < 1e-5, String(positive.probability));
  assert.ok(Math.abs(negative.probability - sigmoid(50 * level(0.1) - 8)) < 1e-5, String(negative.probability));
  assert.equal(positive.segmented, true);
  assert.equal(negative.segmented, false);
  assert.equal(negative.timings.segment, 0);
  assert.equal(negative.rle, '-1');
  assert.equal(negative.decision, false);
  // The segmenter's map at 32x64 upsampled to 64x128 puts the 0.5 crossing exactly on the square's edge.
  assert.equal(positive.decision, true);
  assert.equal(positive.area, 32 * 32);
  assert.deepEqual(positive.bbox, { x: 32, y: 16, width: 32, height: 32 });
  assert.deepEqual(positive.mask.data, squareMask(W, H, SQUARE));
  assert.deepEqual(decodeRle(positive.rle, W, H).data, positive.mask.data);
  for (const value of Object.values(positive.timings)) assert.ok(value >= 0);
  predictor.dispose();
});

test('minimum area: the mask is dropped whole below it (1024-scale pixels), kept at or above', async () => {
  const predictor = await Predictor.load(await bundle('area', true), { modelFactory: tinyModelFactory, threads: 1 });
  // 1024 pixels of a 128x64 image are 1024 * 128 = 131072 pixels at 1024x1024 scale.
  predictor.thresholds = { ...predictor.thresholds, minArea: 131073 };
  const [dropped] = predictor.predict([squareImage(W, H, SQUARE)]);
  assert.equal(dropped.segmented, true);
  assert.equal(dropped.area, 0);
  assert.equal(dropped.decision, false);
  assert.equal(dropped.rle, '-1');
  predictor.thresholds = { ...predictor.thresholds, minArea: 131072 };
  assert.equal(predictor.predict([squareImage(W, H, SQUARE)])[0].area, 1024);
  predictor.dispose();
});

test('flip TTA is the average of the prediction and the mirrored prediction, for both models', async () => {
  const dir = await bundle('random', false);
  const plain = await Predictor.load(dir, { modelFactory: tinyModelFactory, threads: 1 });
  const tta = await Predictor.load(dir, { modelFactory: tinyModelFactory, tta: true, threads: 1 });
  const rng = new Rng(5);
  const image = { width: W, height: H, pixels: Float32Array.from({ length: W * H }, () => rng.next()) };
  const [p, pMirror] = plain.classify([image, mirrorImage(image)]);
  const [pTta] = tta.classify([image]);
  assert.notEqual(p, pMirror, 'the random classifier is not mirror-symmetric');
  assert.ok(Math.abs(pTta - (p + pMirror) / 2) < 1e-6);
  const maps = plain.segmentProbabilities([image, mirrorImage(image)]);
  const ttaMap = tta.segmentProbabilities([image]).maps[0];
  const { width, height } = maps;
  let worst = 0;
  for (let y = 0; y < height; y++)
    for (let x = 0; x < width; x++) {
      const expected = (maps.maps[0][y * width + x] + maps.maps[1][y * width + width - 1 - x]) / 2;
      worst = Math.max(worst, Math.abs(ttaMap[y * width + x] - expected));
    }
  assert.ok(worst < 1e-6, `max difference ${worst}`);
  plain.dispose();
  tta.dispose();
});

test('images of different sizes share a batch; each mask has its image size', async () => {
  const predictor = await Predictor.load(await bundle('sizes', true), { modelFactory: tinyModelFactory, threads: 1 });
  predictor.thresholds = { classifier: 0, pixel: 0.5, minArea: 0 };
  const results = predictor.predict([squareImage(W, H, SQUARE), squareImage(96, 80, { x: 8, y: 8, side: 40 })]);
  assert.deepEqual([results[1].mask.width, results[1].mask.height], [96, 80]);
  assert.ok(results[1].area > 0);
  assert.deepEqual(decodeRle(results[1].rle, 96, 80).data, results[1].mask.data);
  predictor.dispose();
});
