import { test } from 'node:test';
import assert from 'node:assert/strict';
import { classificationErrors, segmentationExtremes } from '../../src/evaluate/error-analysis.js';
import { RECORDS } from './pipeline-records.js';

test('false negatives and positives split by distance to the threshold', () => {
  const errors = classificationErrors(RECORDS, 0.5, { margin: 0.15 });
  // FN: e (.2, distance .3 -> confident); FP: b (.7, distance .2 -> confident).
  assert.deepEqual(
    errors.falseNegatives.confident.map((r) => r.imageId),
    ['e'],
  );
  assert.deepEqual(
    errors.falsePositives.confident.map((r) => r.imageId),
    ['b'],
  );
  const wide = classificationErrors(RECORDS, 0.5, { margin: 0.25 });
  assert.deepEqual(
    wide.falsePositives.nearThreshold.map((r) => r.imageId),
    ['b'],
  );
  assert.deepEqual(
    wide.falseNegatives.confident.map((r) => r.imageId),
    ['e'],
  );
  const low = classificationErrors(RECORDS, 0.25, { margin: 0.1 });
  // FP at .25: b (.45 away: confident), d (.05: near); no FN (e .2 is a FN: .05 away: near).
  assert.deepEqual(
    low.falsePositives.confident.map((r) => r.imageId),
    ['b'],
  );
  assert.deepEqual(
    low.falsePositives.nearThreshold.map((r) => r.imageId),
    ['d'],
  );
  assert.deepEqual(
    low.falseNegatives.nearThreshold.map((r) => r.imageId),
    ['e'],
  );
  assert.equal(low.falsePositiveCount, 2);
});

test('best and worst segmentations by IoU, truth positives only, disjoint', () => {
  const score = (imageId: string, iou: number, truthPositive = true) => ({
    imageId,
    iou,
    dice: (2 * iou) / (1 + iou),
    truthPositive,
    predictedPositive: true,
  });
  const scores = [score('x', 0.9), score('y', 0.1), score('z', 0.5), score('w', 0.7), score('neg', 0, false)];
  const { best, worst } = segmentationExtremes(scores, 3);
  assert.deepEqual(
    worst.map((s) => s.imageId),
    ['y', 'z'],
  );
  assert.deepEqual(
    best.map((s) => s.imageId),
    ['x', 'w'],
  );
});
