import { test } from 'node:test';
import assert from 'node:assert/strict';
import { analyseSegmentation, binCounts } from '../../src/evaluate/segmentation-analysis.js';

test('histogram bins put 1 in the last bin and count positives below the cut', () => {
  assert.deepEqual(binCounts([0, 0.05, 0.1, 0.95, 1], 10), [2, 1, 0, 0, 0, 0, 0, 0, 0, 2]);
  const s = (imageId: string, iou: number, truthPositive: boolean) => ({
    imageId,
    iou,
    dice: (2 * iou) / (1 + iou),
    truthPositive,
    predictedPositive: iou > 0,
  });
  const analysis = analyseSegmentation([s('a', 0.05, true), s('b', 0.5, true), s('c', 1, false), s('d', 0, false)]);
  assert.equal(analysis.positivesBelowCutIou, 1);
  assert.equal(analysis.summary.meanIouPositive, 0.275);
  assert.equal(analysis.summary.meanIou, (0.05 + 0.5 + 1 + 0) / 4);
  assert.equal(
    analysis.iouHistogram.reduce((a, b) => a + b),
    2,
  );
});
