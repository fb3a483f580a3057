import { test } from 'node:test';
import assert from 'node:assert/strict';
import { confusionAt, ratesOf } from '../../src/evaluate/confusion.js';
import { RECORDS } from './pipeline-records.js';

test('confusion counts at 0.5 and the rates computed by hand', () => {
  const counts = confusionAt(RECORDS, 0.5);
  assert.deepEqual(counts, { truePositives: 2, falsePositives: 1, trueNegatives: 2, falseNegatives: 1 });
  const rates = ratesOf(counts);
  assert.equal(rates.precision, 2 / 3);
  assert.equal(rates.recall, 2 / 3);
  assert.equal(rates.specificity, 2 / 3);
  assert.equal(rates.f1, 4 / 6);
  assert.equal(rates.accuracy, 4 / 6);
});

test('a probability equal to the threshold is called positive; undefined rates are null', () => {
  const counts = confusionAt(RECORDS, 0.9);
  assert.equal(counts.truePositives, 1);
  const none = ratesOf(confusionAt(RECORDS, 0.95));
  assert.equal(none.precision, null);
  assert.equal(none.recall, 0);
  assert.equal(none.specificity, 1);
  assert.equal(ratesOf(confusionAt([], 0.5)).accuracy, null);
});
