// The resample statistics without sorting (ScoreOrder) give exactly what the metrics give on the
// resample gathered and sorted: ROC AUC and the operating points, on scores with ties.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { StratifiedResampler } from '../../src/metrics/bootstrap.js';
import { rocAuc } from '../../src/metrics/classification.js';
import { sensitivityAtSpecificity, specificityAtSensitivity } from '../../src/metrics/operating-points.js';
import { aucStatistic, operatingPointStatistic, RecordColumns } from '../../src/evaluate/study-statistics.js';
import type { PipelineRecord } from '../../src/evaluate/threshold-sweep.js';
import { Rng } from '../../src/data/random.js';

test('AUC and operating points of resamples equal the metrics on the gathered resample', () => {
  const rng = new Rng(9);
  // Scores on a coarse grid, so that ties within and across classes are common.
  const records: PipelineRecord[] = Array.from({ length: 80 }, (_, i) => {
    const label = i % 3 === 0 ? 1 : 0;
    return {
      imageId: String(i),
      label,
      probability: Math.min(1, Math.max(0, Math.round((0.35 + 0.25 * label + rng.normal(0, 0.2)) * 20) / 20)),
      segmentedDice: 1,
      maskFound: true,
    };
  });
  const columns = new RecordColumns(records);
  const auc = aucStatistic(columns);
  const sens90 = operatingPointStatistic(columns, 'sensitivity-at-specificity', 0.9, 'sensitivity');
  const spec95 = operatingPointStatistic(columns, 'specificity-at-sensitivity', 0.95, 'specificity');
  const sampler = new StratifiedResampler(columns.truth, 4);
  for (let b = 0; b < 100; b++) {
    const idx = b === 0 ? sampler.all : sampler.next();
    const scores = Array.from(idx, (i) => columns.scores[i]);
    const truth = Array.from(idx, (i) => columns.truth[i]);
    const tol = 1e-12;
    assert.ok(Math.abs(auc(idx)! - rocAuc(scores, truth)!) < tol, `auc, resample ${b}`);
    assert.ok(Math.abs(sens90(idx)! - sensitivityAtSpecificity(scores, truth, 0.9)!.sensitivity) < tol, `sens ${b}`);
    assert.ok(Math.abs(spec95(idx)! - specificityAtSensitivity(scores, truth, 0.95)!.specificity) < tol, `spec ${b}`);
  }
  assert.equal(aucStatistic(new RecordColumns(records.filter((r) => r.label === 0)))(Int32Array.from([0, 1])), null);
});
