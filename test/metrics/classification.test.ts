// Classification metrics on hand-computed cases (the sklearn documentation's example among them) and
// ROC AUC against a brute-force count over all positive-negative pairs.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  averagePrecision,
  bestThreshold,
  confusionMatrix,
  rocAuc,
  summariseClassification,
  thresholdMetrics,
} from '../../src/metrics/classification.js';
import { Rng } from '../../src/data/random.js';

const close = (a: number | null, b: number, what: string) =>
  assert.ok(a !== null && Math.abs(a - b) < 1e-12, `${what}: ${a} vs ${b}`);

test('sklearn documentation example: ROC AUC 0.75, average precision 0.8333', () => {
  const scores = [0.1, 0.4, 0.35, 0.8];
  const truth = [0, 0, 1, 1];
  close(rocAuc(scores, truth), 0.75, 'roc auc');
  close(averagePrecision(scores, truth), 5 / 6, 'average precision');
});

test('ties count one half in ROC AUC and form one threshold in average precision', () => {
  // positives 0.5, 0.9; negatives 0.5, 0.2: pairs 0.5 + 1 + 1 + 1 = 3.5 of 4.
  const scores = [0.5, 0.5, 0.2, 0.9];
  const truth = [1, 0, 0, 1];
  close(rocAuc(scores, truth), 0.875, 'roc auc');
  // thresholds 0.9 (R 1/2, P 1), 0.5 (R 1, P 2/3): 1/2 + 1/2 * 2/3.
  close(averagePrecision(scores, truth), 0.5 + 1 / 3, 'average precision');
  close(rocAuc([0.3, 0.3, 0.3], [1, 0, 1]), 0.5, 'all tied');
});

test('ROC AUC equals the pairwise count on random scores with many ties', () => {
  const rng = new Rng(3);
  const scores = Array.from({ length: 300 }, () => Math.round(rng.next() * 20) / 20);
  const truth = scores.map((s) => (rng.next() < 0.3 + 0.4 * s ? 1 : 0));
  let wins = 0;
  let pairs = 0;
  for (let i = 0; i < scores.length; i++)
    for (let j = 0; j < scores.length; j++)
      if (truth[i] === 1 && truth[j] === 0) {
        pairs++;
        wins += scores[i] > scores[j] ? 1 : scores[i] === scores[j] ? 0.5 : 0;
      }
  assert.ok(Math.abs(rocAuc(scores, truth)! - wins / pairs) < 1e-12);
});

test('confusion matrix and the metrics at a threshold', () => {
  const scores = [0.1, 0.4, 0.35, 0.8];
  const truth = [0, 0, 1, 1];
  assert.deepEqual(confusionMatrix(scores, truth, 0.5), {
    truePositives: 1,
    falsePositives: 0,
    trueNegatives: 2,
    falseNegatives: 1,
  });
  const m = thresholdMetrics(scores, truth, 0.35); // score >= threshold is positive
  assert.deepEqual(
    { tp: m.truePositives, fp: m.falsePositives, tn: m.trueNegatives, fn: m.falseNegatives },
    { tp: 2, fp: 1, tn: 1, fn: 0 },
  );
  close(m.accuracy, 0.75, 'accuracy');
  close(m.precision, 2 / 3, 'precision');
  close(m.recall, 1, 'recall');
  close(m.specificity, 0.5, 'specificity');
  close(m.f1, 0.8, 'f1');
  const s = summariseClassification(scores, truth);
  assert.equal(s.count, 4);
  assert.equal(s.positives, 2);
  close(s.f1, 2 / 3, 'f1 at 0.5');
});

test('undefined metrics are null, bad input is an error', () => {
  assert.equal(rocAuc([0.2, 0.9], [0, 0]), null);
  assert.equal(averagePrecision([0.2, 0.9], [0, 0]), null);
  const m = thresholdMetrics([0.2, 0.9], [0, 0]);
  assert.equal(m.recall, null);
  assert.equal(m.specificity, 0.5);
  assert.throws(() => rocAuc([0.1], [0, 1]), /1 scores for 2 labels/);
  assert.throws(() => rocAuc([0.1, 0.2], [0, 2]), /label 1 is 2/);
  assert.throws(() => rocAuc([NaN, 0.2], [0, 1]), /score 0 is NaN/);
});

test('best threshold by F1 and by Youden (ties keep the higher threshold)', () => {
  const scores = [0.1, 0.4, 0.35, 0.8];
  const truth = [0, 0, 1, 1];
  assert.deepEqual(bestThreshold(scores, truth, 'f1'), { threshold: 0.35, value: 0.8 });
  assert.deepEqual(bestThreshold(scores, truth, 'youden'), { threshold: 0.8, value: 0.5 });
  assert.equal(bestThreshold([0.1], [1]), null);
});
