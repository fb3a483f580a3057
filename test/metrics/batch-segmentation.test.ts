// Batch segmentation metrics against the Mask-based metrics of segmentation-metrics.ts on the same
// masks, and on hand-counted cases.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { batchOverlaps, scoreBatch } from '../../src/metrics/batch-segmentation.js';
import { scoreSegmentation, summariseSegmentation } from '../../src/metrics/segmentation.js';
import { Rng } from '../../src/data/random.js';

test('hand-counted overlaps and the SIIM convention', () => {
  // Three 2x2 images: partial overlap, both empty, prediction on an empty truth.
  const probabilities = [0.9, 0.6, 0.2, 0.1, /**/ 0.1, 0.2, 0.3, 0.4, /**/ 0.7, 0, 0, 0];
  const truth = [1, 0, 1, 0, /**/ 0, 0, 0, 0, /**/ 0, 0, 0, 0];
  assert.deepEqual(batchOverlaps(probabilities, truth, 3), [
    { intersection: 1, truthArea: 2, predictedArea: 2 },
    { intersection: 0, truthArea: 0, predictedArea: 0 },
    { intersection: 0, truthArea: 0, predictedArea: 1 },
  ]);
  const scores = scoreBatch(['a', 'b', 'c'], probabilities, truth);
  assert.deepEqual(
    scores.map((s) => [s.imageId, s.dice, s.iou]),
    [
      ['a', 0.5, 1 / 3],
      ['b', 1, 1],
      ['c', 0, 0],
    ],
  );
  const summary = summariseSegmentation(scores);
  assert.equal(summary.meanDice, 0.5);
  assert.equal(summary.meanDicePositive, 0.5);
  // A higher pixel threshold drops the 0.6 pixel: a = 2*1/(2+1).
  assert.equal(scoreBatch(['a', 'b', 'c'], probabilities, truth, 0.65)[0].dice, 2 / 3);
});

test('equal to the Mask metrics on random masks', () => {
  const rng = new Rng(5);
  const n = 4;
  const width = 7;
  const height = 5;
  const probabilities = Float32Array.from({ length: n * width * height }, () => rng.next());
  const truth = Float32Array.from({ length: n * width * height }, (_, i) =>
    i < width * height ? 0 : rng.next() < 0.3 ? 1 : 0,
  );
  const ids = ['w', 'x', 'y', 'z'];
  const batch = scoreBatch(ids, probabilities, truth, 0.7);
  for (let k = 0; k < n; k++) {
    const slice = (a: Float32Array, f: (v: number) => boolean) =>
      Uint8Array.from(a.subarray(k * width * height, (k + 1) * width * height), (v) => (f(v) ? 1 : 0));
    const expected = scoreSegmentation(
      ids[k],
      { width, height, data: slice(truth, (v) => v >= 0.5) },
      { width, height, data: slice(probabilities, (v) => v >= 0.7) },
    );
    assert.deepEqual(batch[k], expected);
  }
});

test('mismatched sizes are errors', () => {
  assert.throws(() => batchOverlaps([0, 1], [0], 1), /2 predicted pixels for 1 truth pixels/);
  assert.throws(() => batchOverlaps([0, 1, 0], [0, 1, 0], 2), /do not split into 2 images/);
});
