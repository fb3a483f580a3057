// What a rank's validation hands to the others: the per-image rows of each task's metrics. Scoring
// the set's images in two shares (rank 0 the even positions, rank 1 the odd ones, as sharded
// validation does) and dealing the rows back into the set's order gives the metrics, and the
// classifier's threshold, of one accumulator that saw every image.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as torch from '../../src/torch/index.js';
import { resolveTrainConfig } from '../../src/train/config.js';
import { taskFor } from '../../src/train/tasks.js';
import { tinyBatches, tinyImages } from './tiny-data.js';

const SIZE = 16;

function roundTrip(task: 'classifier' | 'segmenter') {
  const config = resolveTrainConfig(task, {}, { data: 'memory', out: 'unused' });
  const images = tinyImages(11, SIZE, 3);
  const whole = taskFor(config).accumulator();
  const shares = [taskFor(config).accumulator(), taskFor(config).accumulator()];
  torch.manualSeed(5);
  torch.scope(() => {
    images.forEach((image, position) => {
      const [batch] = tinyBatches([image], 1, SIZE);
      // Logits that track the truth loosely, so the metrics are neither 0 nor 1.
      const mask = torch
        .tensor(batch.masks, [1, 1, SIZE, SIZE])
        .sub(0.5)
        .mul(4)
        .add(torch.randn([1, 1, SIZE, SIZE]).mul(3));
      const label = torch.randn([1]).mul(2).add(batch.labels[0]);
      const output = task === 'classifier' ? label : { mask, label };
      whole.add(batch, output);
      shares[position % 2].add(batch, output);
    });
  });
  const [even, odd] = shares.map((s) => s.rows());
  assert.equal(even.length + odd.length, images.length, 'every image once');
  const dealt = images.map((_, position) => (position % 2 === 0 ? even : odd)[Math.floor(position / 2)]);
  const merged = taskFor(config).accumulator();
  merged.setRows(dealt);
  return { whole, merged };
}

test('classifier rows, gathered and dealt back, give the whole set metrics and threshold', () => {
  const { whole, merged } = roundTrip('classifier');
  const metrics = whole.summary();
  assert.ok((metrics.auc as number) > 0 && (metrics.auc as number) < 1, `a telling AUC: ${metrics.auc}`);
  assert.deepEqual(merged.summary(), metrics);
  assert.equal(merged.threshold!(), whole.threshold!());
});

test('segmenter rows with the aux head, gathered and dealt back, give the whole set metrics', () => {
  const { whole, merged } = roundTrip('segmenter');
  const metrics = whole.summary();
  assert.ok(typeof metrics.aux_auc === 'number', 'the aux head is summarised');
  assert.ok((metrics.diceAll as number) > 0 && (metrics.diceAll as number) < 1, `a telling Dice: ${metrics.diceAll}`);
  assert.deepEqual(merged.summary(), metrics);
});
