import { test } from 'node:test';
import assert from 'node:assert/strict';
import { highestThresholdForRecall, recipeFigures, type TestRecord } from '../../src/demo/recipe-figures.js';
import type { SynthSummary } from '../../src/data/synth/dataset-writer.js';

test('the triage threshold is the highest positive probability that keeps the recall floor', () => {
  // Ten positives 0.1 .. 1.0: recall 0.9 keeps nine of them, so the threshold is the second lowest.
  const positives = Array.from({ length: 10 }, (_, i) => ({ label: 1 as const, probability: (i + 1) / 10 }));
  const negatives = [0.95, 0.05].map((probability) => ({ label: 0 as const, probability }));
  assert.equal(highestThresholdForRecall([...positives, ...negatives], 0.9), 0.2);
  assert.equal(highestThresholdForRecall(positives, 1), 0.1);
  assert.equal(highestThresholdForRecall(positives, 0.5), 0.6);
  // 18 positives (the demo's validation split): 0.90 needs 17 of them, as 16/18 = 0.889 falls short.
  const eighteen = Array.from({ length: 18 }, (_, i) => ({ label: 1 as const, probability: (i + 1) / 100 }));
  assert.equal(highestThresholdForRecall(eighteen), 0.02);
  assert.equal(highestThresholdForRecall(negatives), null);
});

test('rates at the triage threshold per drain group and size band, with the segmenter Dice from IoU', () => {
  const side = 100; // 10,000 pixels: 0.4% is 40 pixels, 1.8% is 180
  const images = [
    { imageId: 'small', maskPixels: 20, chestDrain: null },
    { imageId: 'medium', maskPixels: 100, chestDrain: 'left' },
    { imageId: 'large', maskPixels: 500, chestDrain: null },
    { imageId: 'neg-drain', maskPixels: 0, chestDrain: 'right' },
    { imageId: 'neg', maskPixels: 0, chestDrain: null },
  ];
  const summary = { parameters: { size: side }, images } as unknown as SynthSummary;
  const probability = [0.2, 0.9, 0.8, 0.95, 0.1];
  const iou = [0, 1, 1 / 3, 1, 1];
  const records: TestRecord[] = images.map((image, i) => ({
    imageId: image.imageId,
    label: image.maskPixels > 0 ? 1 : 0,
    probability: probability[i],
    segmentedDice: 0,
    maskFound: image.imageId !== 'large',
    iou: iou[i],
  }));
  const f = recipeFigures(records, summary, 0.5);
  assert.equal(f.overall.recall, 2 / 3);
  assert.equal(f.overall.specificity, 1 / 2);
  // The pipeline also needs a mask: 'large' has none.
  assert.equal(f.overall.pipelineRecall, 1 / 3);
  assert.deepEqual([f.withDrain.images, f.withDrain.recall, f.withDrain.specificity, f.withDrain.rocAuc], [2, 1, 0, 0]);
  assert.deepEqual([f.withoutDrain.images, f.withoutDrain.rocAuc], [3, 1]);
  assert.deepEqual(
    f.sizeBands.map((b) => [b.images, b.positives, b.recall]),
    [
      [3, 1, 0],
      [3, 1, 1],
      [3, 1, 1],
    ],
  );
  // Dice = 2 IoU / (1 + IoU): 0, 1 and 0.5.
  assert.deepEqual(
    f.sizeBands.map((b) => b.segmenterDice),
    [0, 1, 0.5],
  );
  assert.equal(f.overall.segmenterDice, 0.5);
});
