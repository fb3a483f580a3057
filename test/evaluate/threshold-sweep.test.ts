import { test } from 'node:test';
import assert from 'node:assert/strict';
import { pipelineScoreAt, sweepRow, sweepThresholds, thresholdGrid } from '../../src/evaluate/threshold-sweep.js';
import { RECORDS } from './pipeline-records.js';

test('the default grid is 0.05..0.95 by 0.05 and holds the seed grid 0.1..0.9 exactly', () => {
  const grid = thresholdGrid();
  assert.equal(grid.length, 19);
  assert.equal(grid[0], 0.05);
  assert.equal(grid[18], 0.95);
  for (const t of [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9]) assert.ok(grid.includes(t), `missing ${t}`);
});

test('pipeline SIIM score: below the threshold an image scores as an empty mask', () => {
  // Hand sums over a..f (see pipeline-records.ts).
  const expected: [number, number][] = [
    [0.05, (0.8 + 0 + 0.5 + 1 + 0.1 + 0) / 6],
    [0.2, (0.8 + 0 + 0.5 + 1 + 0.1 + 1) / 6],
    [0.5, (0.8 + 0 + 0.5 + 1 + 0 + 1) / 6],
    [0.7, (0.8 + 0 + 0 + 1 + 0 + 1) / 6],
    [0.9, (0.8 + 1 + 0 + 1 + 0 + 1) / 6],
    [0.95, 3 / 6],
  ];
  for (const [t, score] of expected) assert.ok(Math.abs(pipelineScoreAt(RECORDS, t)! - score) < 1e-12, `at ${t}`);
  const rows = sweepThresholds(RECORDS);
  const at = (t: number) => rows.find((r) => r.threshold === t)!;
  assert.deepEqual(
    [at(0.5).truePositives, at(0.5).falsePositives, at(0.5).trueNegatives, at(0.5).falseNegatives],
    [2, 1, 2, 1],
  );
  assert.equal(at(0.5).f1, 2 / 3);
  assert.equal(at(0.2).recall, 1);
  assert.equal(at(0.9).recall, 1 / 3);
  assert.equal(at(0.9).precision, 1);
});

test('confusion counts at 0.5 and the rates computed by hand', () => {
  const row = sweepRow(RECORDS, 0.5);
  assert.deepEqual([row.truePositives, row.falsePositives, row.trueNegatives, row.falseNegatives], [2, 1, 2, 1]);
  assert.equal(row.threshold, 0.5);
  assert.equal(row.precision, 2 / 3);
  assert.equal(row.recall, 2 / 3);
  assert.equal(row.specificity, 2 / 3);
  assert.equal(row.f1, 4 / 6);
  assert.equal(row.accuracy, 4 / 6);
});

test('a probability equal to the threshold is called positive; undefined rates are null', () => {
  assert.equal(sweepRow(RECORDS, 0.9).truePositives, 1);
  const none = sweepRow(RECORDS, 0.95);
  assert.equal(none.precision, null);
  assert.equal(none.recall, 0);
  assert.equal(none.specificity, 1);
  const empty = sweepRow([], 0.5);
  assert.equal(empty.accuracy, null);
  assert.equal(empty.siimScore, null);
});
