import { test } from 'node:test';
import assert from 'node:assert/strict';
import { classifierCurves } from '../../src/metrics/curves.js';
import { Rng } from '../../src/data/random.js';
import { RECORDS } from '../evaluate/pipeline-records.js';

/** The Mann-Whitney statistic: share of (positive, negative) pairs ranked right, ties counting half. */
function pairwiseAuc(records: { probability: number; label: 0 | 1 }[]): number {
  const pos = records.filter((r) => r.label === 1);
  const neg = records.filter((r) => r.label === 0);
  let wins = 0;
  for (const p of pos)
    for (const n of neg) wins += p.probability > n.probability ? 1 : p.probability === n.probability ? 0.5 : 0;
  return wins / (pos.length * neg.length);
}

test('ROC AUC and average precision of the hand-made set', () => {
  const curves = classifierCurves(RECORDS);
  assert.ok(Math.abs(curves.rocAuc! - 6 / 9) < 1e-12);
  // Positives at ranks 1, 3, 5: precision there 1, 2/3, 3/5.
  assert.ok(Math.abs(curves.prAuc! - (1 + 2 / 3 + 3 / 5) / 3) < 1e-12);
  assert.deepEqual(curves.roc.at(-1), { threshold: 0.1, falsePositiveRate: 1, truePositiveRate: 1 });
  assert.equal(curves.pr[0].precision, 1);
});

test('ROC AUC equals the pairwise statistic on random scores with ties', () => {
  const rng = new Rng(7);
  const records = Array.from({ length: 300 }, () => {
    const label = rng.bool(0.3) ? 1 : 0;
    // Rounded to two decimals, so ties are many.
    const probability = Math.round(Math.min(1, Math.max(0, rng.normal(label ? 0.6 : 0.4, 0.2))) * 100) / 100;
    return { probability, label: label as 0 | 1 };
  });
  assert.ok(Math.abs(classifierCurves(records).rocAuc! - pairwiseAuc(records)) < 1e-12);
  const shuffled = new Rng(8).shuffle([...records]);
  assert.equal(classifierCurves(shuffled).rocAuc, classifierCurves(records).rocAuc);
});

test('one class only: the areas are null', () => {
  const curves = classifierCurves(RECORDS.filter((r) => r.label === 0));
  assert.equal(curves.rocAuc, null);
  assert.equal(curves.prAuc, null);
});
