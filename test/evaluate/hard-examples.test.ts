import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatHardExamples, hardExamples, parseHardExamples } from '../../src/evaluate/hard-examples.js';
import { classificationErrors } from '../../src/evaluate/error-analysis.js';
import { splitCsvLine } from '../../src/data/csv.js';
import { RECORDS } from './pipeline-records.js';

test('hard examples: every error and poor segmentation, written and read back', () => {
  const errors = classificationErrors(RECORDS, 0.25, { margin: 0.1 });
  const segmentations = [
    { imageId: 'a', iou: 0.05, dice: 0.095, truthPositive: true, predictedPositive: true },
    { imageId: 'c', iou: 0.6, dice: 0.75, truthPositive: true, predictedPositive: true },
  ];
  const rows = hardExamples(errors, segmentations);
  assert.deepEqual(
    rows.map((r) => [r.imageId, r.reason, r.score]),
    [
      ['e', 'false-negative-near-threshold', 0.2],
      ['b', 'false-positive-confident', 0.7],
      ['d', 'false-positive-near-threshold', 0.3],
      ['a', 'poor-segmentation', 0.05],
    ],
  );
  const text = formatHardExamples(rows);
  assert.equal(text.split('\n')[0], 'ImageId,reason,score');
  assert.deepEqual(parseHardExamples(text), rows);
  // The first column reads as an image id for any CSV reader.
  // The first column is the image id, as the training side's id-list reader takes it.
  const firstColumn = text
    .trim()
    .split('\n')
    .slice(1)
    .map((l) => (splitCsvLine(l) as string[])[0]);
  assert.deepEqual(firstColumn, ['e', 'b', 'd', 'a']);
  assert.throws(() => parseHardExamples('ImageId,reason,score\nx,bogus,1\n'), /line 2: unknown reason/);
});
