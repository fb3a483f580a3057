// Operating points on a hand-worked table.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { sensitivityAtSpecificity, specificityAtSensitivity } from '../../src/metrics/operating-points.js';

// 4 positives 0.9, 0.8, 0.6, 0.3; 5 negatives 0.7, 0.4, 0.2, 0.1, 0.05.
const scores = [0.9, 0.8, 0.6, 0.3, 0.7, 0.4, 0.2, 0.1, 0.05];
const truth = [1, 1, 1, 1, 0, 0, 0, 0, 0];

test('sensitivity at a specificity floor', () => {
  // t 0.8: sens 0.5, spec 1; t 0.7: spec 0.8. So spec >= 0.9 allows t 0.8 at best.
  assert.deepEqual(sensitivityAtSpecificity(scores, truth, 0.9), { threshold: 0.8, sensitivity: 0.5, specificity: 1 });
  // spec >= 0.8: t 0.6 (sens 0.75, spec 0.8).
  assert.deepEqual(sensitivityAtSpecificity(scores, truth, 0.8), {
    threshold: 0.6,
    sensitivity: 0.75,
    specificity: 0.8,
  });
});

test('specificity at a sensitivity floor', () => {
  // sens >= 0.9 needs every positive: t 0.3, where negatives 0.7 and 0.4 are above: spec 0.6.
  assert.deepEqual(specificityAtSensitivity(scores, truth, 0.9), { threshold: 0.3, sensitivity: 1, specificity: 0.6 });
  assert.deepEqual(specificityAtSensitivity(scores, truth, 0.5), { threshold: 0.8, sensitivity: 0.5, specificity: 1 });
});

test('a specificity floor no threshold meets calls nothing positive; one class only gives null', () => {
  const s = [0.9, 0.8, 0.1];
  const y = [0, 1, 0];
  assert.deepEqual(sensitivityAtSpecificity(s, y, 0.9), { threshold: null, sensitivity: 0, specificity: 1 });
  assert.equal(specificityAtSensitivity([0.2, 0.3], [1, 1], 0.9), null);
});
