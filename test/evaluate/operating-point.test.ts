import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chooseOperatingPoint } from '../../src/evaluate/operating-point.js';
import { sweepThresholds } from '../../src/evaluate/threshold-sweep.js';
import { RECORDS } from './pipeline-records.js';

const rows = sweepThresholds(RECORDS);

test('default objective: the best pipeline SIIM score, ties to the higher threshold', () => {
  // 3.8/6 at every threshold in 0.75..0.9 (only a is segmented); 0.9 is the highest of them.
  const point = chooseOperatingPoint(rows);
  assert.equal(point.threshold, 0.9);
  assert.ok(Math.abs(point.row.siimScore! - 3.8 / 6) < 1e-12);
  assert.match(point.description, /maximise the SIIM score/);
  assert.equal(point.constraintMet, true);
});

test('recall floor: the best SIIM score among thresholds whose recall reaches the floor', () => {
  const full = chooseOperatingPoint(rows, { kind: 'min-recall', floor: 0.9 });
  assert.equal(full.threshold, 0.2); // recall 1 needs t <= 0.2; 0.15 and 0.2 tie at 3.4/6
  assert.equal(full.row.recall, 1);
  assert.match(full.description, /recall >= 0.9/);
  // Recall 2/3 allows t <= 0.6; 0.2 (3.4/6) still beats 0.25..0.6 (3.3/6).
  const twoThirds = chooseOperatingPoint(rows, { kind: 'min-recall', floor: 0.6 });
  assert.equal(twoThirds.threshold, 0.2);
  const third = chooseOperatingPoint(rows, { kind: 'min-recall', floor: 0.3 });
  assert.equal(third.threshold, 0.9);
});

test('an unreachable floor is reported as not met', () => {
  const onlyNegatives = sweepThresholds(RECORDS.filter((r) => r.label === 0));
  const point = chooseOperatingPoint(onlyNegatives, { kind: 'min-recall', floor: 0.9 });
  assert.equal(point.constraintMet, false);
  assert.match(point.description, /not met/);
  assert.throws(() => chooseOperatingPoint([]), /empty/);
});
