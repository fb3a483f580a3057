// bf16 against fp32 on small trained models (the registry's narrow ResNet-18 classifier and U-Net,
// trained on synthetic discs): classifier probabilities agree within 0.02 and the masks the two
// precisions predict have a mean Dice >= 0.98 with each other. Training itself runs in bf16 too.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import * as torch from '../../src/torch/index.js';
import { createModel } from '../../src/models/registry.js';
import { resolveTrainConfig, type TrainConfig } from '../../src/train/config.js';
import { memorySource } from '../../src/train/batch-source.js';
import { trainModel } from '../../src/train/trainer.js';
import { makeBundle } from '../../src/pipeline/bundle.js';
import { Predictor } from '../../src/pipeline/predictor.js';
import { PLAIN_SETUP } from '../../src/pipeline/inference-setup.js';
import { loadSafetensors } from '../../src/torch/safetensors.js';
import type { GrayImage } from '../../src/data/image.js';
import { shuffledBatches, tinyBatches, tinyImages } from '../train/tiny-data.js';

const root = mkdtempSync(path.join(tmpdir(), 'pneumo-precision-'));
test.after(() => rmSync(root, { recursive: true, force: true }));
const SIZE = 64;

function config(task: 'classifier' | 'segmenter', name: string, overrides: Partial<TrainConfig>): TrainConfig {
  return resolveTrainConfig(
    task,
    {},
    { data: 'memory', out: path.join(root, name), size: SIZE, augment: null, schedule: 'none', ...overrides },
  );
}

/** Per-image Dice of two binary masks; both empty scores 1 (the SIIM convention). */
function dice(a: Float32Array, b: Float32Array, threshold: number): number {
  let both = 0;
  let sum = 0;
  for (let i = 0; i < a.length; i++) {
    const x = a[i] > threshold ? 1 : 0;
    const y = b[i] > threshold ? 1 : 0;
    both += x * y;
    sum += x + y;
  }
  return sum === 0 ? 1 : (2 * both) / sum;
}

/** The narrow ResNet-18 classifier trained 3 epochs on synthetic discs; disposed unless told not to. */
async function trainClassifier(name: string, precision: 'fp32' | 'bf16', dispose = true) {
  torch.manualSeed(1);
  const model = createModel('classifier-resnet18-w16');
  const c = config('classifier', name, {
    model: 'classifier-resnet18-w16',
    epochs: 3,
    batchSize: 16,
    lr: 3e-3,
    precision,
  });
  const result = await trainModel({
    config: c,
    model,
    train: memorySource(shuffledBatches(tinyImages(48, SIZE, 1), 16, SIZE, 1)),
    validation: memorySource(tinyBatches(tinyImages(16, SIZE, 2), 16, SIZE)),
  });
  if (dispose) model.dispose();
  return { config: c, model, result };
}

test('bf16 inference agrees with fp32 on trained models: probabilities within 0.02, mask Dice >= 0.98', async () => {
  const c = (await trainClassifier('classifier', 'fp32')).config;
  torch.manualSeed(2);
  const segmenterModel = createModel('unet-resnet18-w16');
  const s = config('segmenter', 'segmenter', {
    model: 'unet-resnet18-w16',
    epochs: 4,
    batchSize: 8,
    lr: 3e-3,
    precision: 'fp32',
  });
  await trainModel({
    config: s,
    model: segmenterModel,
    train: memorySource(shuffledBatches(tinyImages(24, SIZE, 3, 1), 8, SIZE, 2)),
    validation: memorySource(tinyBatches(tinyImages(8, SIZE, 4, 1), 8, SIZE)),
  });
  segmenterModel.dispose();
  const bundle = path.join(root, 'bundle');
  await makeBundle({ classifierRun: c.out, segmenterRun: s.out, out: bundle, thresholds: { classifier: 0.5 } });

  const fp32 = await Predictor.load(bundle, { threads: 2, precision: 'fp32' });
  const bf16 = await Predictor.load(bundle, { threads: 2, precision: 'bf16' });
  // Training saw the images as they are; the predictor normalises, so hand it the un-normalised pixels.
  const { mean, std } = fp32.bundle.manifest.classifier.input.normalization;
  const images: GrayImage[] = tinyImages(24, SIZE, 5).map((item) => ({
    width: SIZE,
    height: SIZE,
    pixels: item.image.map((v) => v * std + mean),
  }));
  const live = torch.liveTensors();

  const p32 = fp32.classify(images);
  const p16 = bf16.classify(images);
  const spread = Math.max(...p32) - Math.min(...p32);
  assert.ok(spread > 0.25, `the classifier is trained: probabilities spread over ${spread.toFixed(2)}`);
  const worst = Math.max(...p32.map((p, i) => Math.abs(p - p16[i])));
  assert.ok(worst <= 0.02, `largest classifier probability difference ${worst.toFixed(4)}`);

  const m32 = fp32.segmentProbabilities(images);
  const m16 = bf16.segmentProbabilities(images);
  const dices = m32.maps.map((map, i) => dice(map, m16.maps[i], 0.5));
  const meanDice = dices.reduce((a, b) => a + b, 0) / dices.length;
  assert.ok(meanDice >= 0.98, `mean Dice between fp32 and bf16 masks ${meanDice.toFixed(4)}`);
  const positives = m32.maps.filter((map) => map.some((v) => v > 0.5)).length;
  assert.ok(positives >= 6, `the segmenter is trained: ${positives} of 24 maps hold a mask`);

  // The whole pipeline: the same decisions where the classifier is not on the fence.
  const d32 = fp32.predict(images);
  const d16 = bf16.predict(images);
  d32.forEach((r, i) => {
    if (Math.abs(r.probability - 0.5) > 0.05) assert.equal(d16[i].segmented, r.segmented, `image ${i}`);
  });
  assert.equal(torch.liveTensors(), live, 'no tensor outlives a bf16 batch');

  // The measured inference setups are in use, and change nothing but speed: a predictor on the models
  // exactly as loaded gives the fp32 probabilities and masks of the default (folded, channels-last) one.
  assert.deepEqual(fp32.setups.segmenter, { foldBatchNorm: true, channelsLast: true, castWeights: false });
  assert.deepEqual(bf16.setups.segmenter, { foldBatchNorm: true, channelsLast: true, castWeights: true });
  const plain = await Predictor.load(bundle, { threads: 2, precision: 'fp32', inferenceSetup: PLAIN_SETUP });
  const pPlain = plain.classify(images);
  assert.ok(Math.max(...pPlain.map((p, i) => Math.abs(p - p32[i]))) < 1e-5, 'folded classifier, same probabilities');
  const mPlain = plain.segmentProbabilities(images);
  const worstPixel = Math.max(
    ...mPlain.maps.map((map, i) => Math.max(...map.map((v, j) => Math.abs(v - m32.maps[i][j])))),
  );
  assert.ok(worstPixel < 1e-4, `folded segmenter, same probability maps (largest difference ${worstPixel})`);
  plain.dispose();
  assert.equal(torch.autocastState().enabled, false, 'autocast is off again after prediction');
  fp32.dispose();
  bf16.dispose();
});

test('training in bf16 learns, keeps fp32 weights and records its precision', async () => {
  const { config: c, model, result } = await trainClassifier('bf16-classifier', 'bf16', false);
  for (const [name, t] of model.stateDict())
    if (name !== 'encoder.bn1.num_batches_tracked' && !name.endsWith('num_batches_tracked'))
      assert.equal(t.dtype, 'float32', `${name} stays fp32 (autocast casts copies)`);
  model.dispose();
  const h = result.history;
  assert.ok(h.at(-1)!.train.loss < h[0].train.loss, `train loss ${h.map((r) => r.train.loss.toFixed(3)).join(' -> ')}`);
  const auc = Math.max(...h.map((r) => r.validation.auc ?? 0));
  assert.ok(auc >= 0.9, `held-out AUC ${h.map((r) => r.validation.auc).join(', ')}`);
  const run = JSON.parse(readFileSync(path.join(c.out, 'run.json'), 'utf8'));
  assert.deepEqual(run.compute, { device: 'cpu', precision: 'bf16' });
  const best = loadSafetensors(path.join(c.out, 'best.safetensors'));
  for (const t of best.values()) {
    assert.ok(t.dtype === 'float32' || t.dtype === 'int64', 'saved weights are fp32');
    t.dispose();
  }
});
