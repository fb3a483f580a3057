// The trainer's choice of the kept epoch and of when to stop, on records alone (no tensors).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EpochSelection } from '../../src/train/epoch-selection.js';
import type { EpochRecord } from '../../src/train/history.js';

function record(epoch: number, auc: number | null, threshold = 0.1 * epoch): EpochRecord {
  return {
    epoch,
    lr: 0,
    seconds: 1,
    trainImagesPerSecond: 1,
    train: { loss: 1 },
    validation: auc === null ? { loss: null } : { loss: 1 - auc, auc },
    threshold: auc === null ? null : threshold,
    encoderFrozen: false,
  };
}

test('best by the monitored figure, kept = best, early stopping counts validations only', () => {
  const s = new EpochSelection({ monitor: 'auc', higherIsBetter: true, keepWeights: 'best', earlyStopping: 2 });
  const verdicts = [
    record(1, 0.7),
    record(2, null),
    record(3, 0.8),
    record(4, 0.75),
    record(5, null),
    record(6, 0.79),
  ].map((r) => s.observe(r, r.validation.auc !== undefined));
  assert.deepEqual(
    verdicts.map((v) => [v.best, v.keep, v.stop]),
    [
      [true, true, false],
      [false, false, false],
      [true, true, false],
      [false, false, false],
      [false, false, false],
      [false, false, true],
    ],
  );
  assert.deepEqual(s.best, { epoch: 3, value: 0.8, threshold: 0.30000000000000004 });
  assert.deepEqual(s.kept, { epoch: 3, value: 0.8, threshold: 0.30000000000000004, rule: 'best' });
});

test('keepWeights last keeps every epoch; the loss is lower-is-better; restore gives the same state', () => {
  const rules = { monitor: 'loss', higherIsBetter: false, keepWeights: 'last' as const, earlyStopping: null };
  const s = new EpochSelection(rules);
  const history = [record(1, 0.6), record(2, 0.9), record(3, 0.7)];
  for (const r of history) assert.equal(s.observe(r, true).keep, true);
  assert.equal(s.best?.epoch, 2, 'loss 0.1 is the lowest');
  assert.equal(s.kept?.epoch, 3);
  assert.equal(s.kept?.rule, 'last');
  const again = new EpochSelection(rules);
  again.restore(history, { epoch: 2, value: s.best!.value }, s.validationsWithoutImprovement);
  assert.deepEqual([again.best, again.kept, again.validationsWithoutImprovement], [s.best, s.kept, 1]);
});
