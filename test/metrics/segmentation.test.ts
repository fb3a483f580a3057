import { test } from 'node:test';
import assert from 'node:assert/strict';
import { emptyMask, type Mask } from '../../src/data/image.js';
import { dice, iou, maskOverlap, scoreSegmentation, summariseSegmentation } from '../../src/metrics/segmentation.js';

function mask(rows: string[]): Mask {
  const m = emptyMask(rows[0].length, rows.length);
  rows.forEach((r, y) => [...r].forEach((c, x) => (m.data[y * m.width + x] = c === '#' ? 1 : 0)));
  return m;
}

const EMPTY = mask(['....', '....', '....', '....']);
const TRUTH = mask(['##..', '##..', '....', '....']); // 4 pixels
const PREDICTED = mask(['.##.', '.##.', '.#..', '.#..']); // 6 pixels, 2 of them in TRUTH
const OTHER = mask(['....', '....', '..##', '..##']); // disjoint from TRUTH

test('Dice and IoU of hand-computed pairs', () => {
  assert.deepEqual(maskOverlap(TRUTH, PREDICTED), { intersection: 2, truthArea: 4, predictedArea: 6 });
  assert.equal(dice(TRUTH, PREDICTED), (2 * 2) / (4 + 6));
  assert.equal(iou(TRUTH, PREDICTED), 2 / 8);
  assert.equal(dice(TRUTH, TRUTH), 1);
  assert.equal(iou(TRUTH, TRUTH), 1);
  assert.equal(dice(TRUTH, OTHER), 0);
  assert.equal(iou(TRUTH, OTHER), 0);
  // Any non-zero byte counts as mask.
  const bytes255 = mask(['##..', '##..', '....', '....']);
  bytes255.data.forEach((v, i) => (bytes255.data[i] = v * 255));
  assert.equal(dice(bytes255, PREDICTED), 0.4);
});

test('the SIIM convention for empty masks: both empty 1, one empty 0', () => {
  assert.equal(dice(EMPTY, EMPTY), 1);
  assert.equal(iou(EMPTY, EMPTY), 1);
  assert.equal(dice(EMPTY, TRUTH), 0);
  assert.equal(iou(EMPTY, TRUTH), 0);
  assert.equal(dice(TRUTH, EMPTY), 0);
  assert.equal(iou(TRUTH, EMPTY), 0);
  assert.throws(() => dice(TRUTH, emptyMask(4, 5)), /masks differ in size: truth 4x4, prediction 4x5/);
});

test('means over all images, over positives and over negatives', () => {
  const scores = [
    scoreSegmentation('negative, predicted empty', EMPTY, EMPTY), // dice 1, iou 1
    scoreSegmentation('negative, false positive', EMPTY, OTHER), // 0, 0
    scoreSegmentation('positive, partial', TRUTH, PREDICTED), // 0.4, 0.25
    scoreSegmentation('positive, exact', TRUTH, TRUTH), // 1, 1
    scoreSegmentation('positive, missed', TRUTH, EMPTY), // 0, 0
  ];
  assert.deepEqual(
    scores.map((s) => [s.truthPositive, s.predictedPositive]),
    [
      [false, false],
      [false, true],
      [true, true],
      [true, true],
      [true, false],
    ],
  );
  const summary = summariseSegmentation(scores);
  assert.equal(summary.images, 5);
  assert.ok(Math.abs(summary.meanDice! - 2.4 / 5) < 1e-12);
  assert.ok(Math.abs(summary.meanIou! - 2.25 / 5) < 1e-12);
  assert.equal(summary.positiveImages, 3);
  assert.ok(Math.abs(summary.meanDicePositive! - 1.4 / 3) < 1e-12);
  assert.ok(Math.abs(summary.meanIouPositive! - 1.25 / 3) < 1e-12);
  assert.equal(summary.negativeImages, 2);
  assert.equal(summary.meanDiceNegative, 0.5);
  assert.deepEqual(summariseSegmentation([]), {
    images: 0,
    meanDice: null,
    meanIou: null,
    positiveImages: 0,
    meanDicePositive: null,
    meanIouPositive: null,
    negativeImages: 0,
    meanDiceNegative: null,
  });
});
