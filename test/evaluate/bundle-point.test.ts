import { test } from 'node:test';
import assert from 'node:assert/strict';
import { evaluateAtBundleThresholds } from '../../src/evaluate/bundle-point.js';
import type { PipelineRecord } from '../../src/evaluate/threshold-sweep.js';
import { RECORDS } from './pipeline-records.js';

const THRESHOLDS = { classifier: 0.5, pixel: 0.5, minArea: 0 };

test('classifier alone and pipeline are counted apart: a passed image without a mask is a pipeline negative', () => {
  // RECORDS plus a positive the classifier passes but the segmenter finds nothing on, and a negative
  // the classifier passes with no mask: the classifier counts both as positive calls, the pipeline not.
  const records: PipelineRecord[] = [
    ...RECORDS,
    { imageId: 'g', probability: 0.8, label: 1, segmentedDice: 0, maskFound: false },
    { imageId: 'h', probability: 0.55, label: 0, segmentedDice: 1, maskFound: false },
  ];
  const r = evaluateAtBundleThresholds(records, THRESHOLDS);
  // Classifier at 0.5: a, c, g (TP); b, h (FP); e (FN); d, f (TN).
  assert.deepEqual(
    [r.classifier.truePositives, r.classifier.falsePositives, r.classifier.falseNegatives, r.classifier.trueNegatives],
    [3, 2, 1, 2],
  );
  // Pipeline: g loses its call (no mask), h too.
  assert.deepEqual(
    [r.pipeline.truePositives, r.pipeline.falsePositives, r.pipeline.falseNegatives, r.pipeline.trueNegatives],
    [2, 1, 2, 3],
  );
  assert.equal(r.pipeline.recall, 2 / 4);
  assert.equal(r.classifier.recall, 3 / 4);
  assert.equal(r.pipeline.specificity, 3 / 4);
  // SIIM: a .8, b 0, c .5, d 1 (below t: empty, negative), e 0 (missed positive), f 1, g 0, h 1.
  assert.ok(Math.abs(r.siimScore! - (0.8 + 0 + 0.5 + 1 + 0 + 1 + 0 + 1) / 8) < 1e-12);
  // Positives a, c, e, g: segmenter alone .8, .5, .1, 0; pipeline .8, .5, 0 (e missed), 0.
  assert.ok(Math.abs(r.dicePositive.segmenter! - (0.8 + 0.5 + 0.1 + 0) / 4) < 1e-12);
  assert.ok(Math.abs(r.dicePositive.pipeline! - (0.8 + 0.5 + 0 + 0) / 4) < 1e-12);
});

test('no positive image: Dice on positives and recall are null, never NaN', () => {
  const r = evaluateAtBundleThresholds(
    RECORDS.filter((x) => x.label === 0),
    THRESHOLDS,
  );
  assert.equal(r.dicePositive.segmenter, null);
  assert.equal(r.dicePositive.pipeline, null);
  assert.equal(r.pipeline.recall, null);
});
