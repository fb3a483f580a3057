import { test } from 'node:test';
import assert from 'node:assert/strict';
import { subgroupFigures } from '../../src/evaluate/subgroups.js';
import type { PipelineRecord } from '../../src/evaluate/threshold-sweep.js';

const thresholds = { classifier: 0.5, pixel: 0.5, minArea: 0 };
const record = (imageId: string, label: 0 | 1, probability: number, segmentedDice: number, maskFound: boolean) =>
  ({ imageId, label, probability, segmentedDice, maskFound }) satisfies PipelineRecord;

test("a subgroup's figures are its own: AUC, recalls, specificities and Dice at the bundle's thresholds", () => {
  const records = [
    record('p1', 1, 0.9, 0.8, true),
    record('p2', 1, 0.6, 0.4, true),
    record('p3', 1, 0.3, 0.6, true), // the classifier misses it: pipeline Dice 0
    record('p4', 1, 0.7, 0, false), // passed but no mask survives: a pipeline miss
    record('n1', 0, 0.8, 0, true), // a false positive of both stages
    record('n2', 0, 0.7, 1, false), // the classifier passes it, the pipeline leaves it empty
    record('n3', 0, 0.1, 1, false),
  ];
  const g = subgroupFigures('all', records, thresholds);
  assert.equal(g.images, 7);
  assert.equal(g.positives, 4);
  // Pairs (positive above negative): p1 beats all 3, p2 and p3 beat n3, p4 beats n3 and ties n2 (half): 6.5 of 12.
  assert.equal(g.rocAuc, 6.5 / 12);
  assert.equal(g.classifierRecall, 3 / 4);
  assert.equal(g.pipelineRecall, 2 / 4);
  assert.equal(g.classifierSpecificity, 1 / 3);
  assert.equal(g.pipelineSpecificity, 2 / 3);
  assert.ok(Math.abs(g.dicePositive.segmenter! - (0.8 + 0.4 + 0.6 + 0) / 4) < 1e-12);
  assert.ok(Math.abs(g.dicePositive.pipeline! - (0.8 + 0.4 + 0 + 0) / 4) < 1e-12);
  const negativesOnly = subgroupFigures('negatives', records.slice(4), thresholds);
  assert.equal(negativesOnly.rocAuc, null);
  assert.equal(negativesOnly.classifierRecall, null);
});
