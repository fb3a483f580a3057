// The clinical-study figures on the hand-made validation set of pipeline-records.ts, worked by hand,
// and subgroups from the SIIM sample's own DICOM headers (sex, age, view).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { indexDataset } from '../../src/data/dataset.js';
import { brierScore, applyTemperature } from '../../src/metrics/calibration.js';
import { delongAuc } from '../../src/metrics/delong.js';
import {
  headerFamilies,
  maskSizeFamily,
  parseGroupsCsv,
  readItemHeaders,
  type AttributeFamily,
} from '../../src/evaluate/image-attributes.js';
import { studyFigures } from '../../src/evaluate/study.js';
import { familyStudy } from '../../src/evaluate/subgroups.js';
import type { PipelineRecord } from '../../src/evaluate/threshold-sweep.js';
import { RECORDS } from './pipeline-records.js';
import { SIIM_SAMPLE, SIIM_SAMPLE_CSV } from '../fixture-path.js';

const close = (a: number | null, b: number, what: string) =>
  assert.ok(a !== null && Math.abs(a - b) < 1e-12, `${what}: ${a} vs ${b}`);
const thresholds = { classifier: 0.5, pixel: 0.5, minArea: 0 };

test('lead figures by hand, each inside its bootstrap interval', () => {
  const s = studyFigures(RECORDS, { thresholds }, [], { resamples: 300, seed: 1 });
  // Positives .9 .6 .2, negatives .7 .3 .1: 6 of 9 pairs ordered.
  close(s.auc.estimate, 6 / 9, 'auc');
  assert.deepEqual(
    s.auc.delong,
    delongAuc(
      RECORDS.map((r) => r.probability),
      RECORDS.map((r) => r.label),
    ),
  );
  // t 0.5 passes a (P), b (N), c (P); each has a mask, so the pipeline calls the same.
  for (const stage of ['classifier', 'pipeline'] as const)
    for (const rate of ['sensitivity', 'specificity', 'ppv', 'npv'] as const)
      close(s.atBundleThresholds[stage][rate].estimate, 2 / 3, `${stage} ${rate}`);
  // SIIM: a .8, b 0, c .5, then d, e, f below t with empty masks: 1, 0, 1.
  close(s.atBundleThresholds.siimScore.estimate, 3.3 / 6, 'siim');
  close(s.atBundleThresholds.dicePositive.estimate, 1.3 / 3, 'dice on positives');
  for (const i of [s.auc.bootstrap, s.atBundleThresholds.siimScore, s.atBundleThresholds.pipeline.sensitivity]) {
    assert.ok(i.lower! <= i.estimate! && i.estimate! <= i.upper!, JSON.stringify(i));
    assert.equal(i.resamples, 300);
  }
});

test('operating points: the bundle point and the four floors, with thresholds', () => {
  const s = studyFigures(RECORDS, { thresholds }, [], { resamples: 50 });
  const by = new Map(s.operatingPoints.map((p) => [p.name, p]));
  assert.equal(by.get("bundle's thresholds")!.threshold, 0.5);
  // Specificity >= 0.9 allows only t .9: sensitivity 1/3.
  const a = by.get('sensitivity at specificity 0.9')!;
  assert.equal(a.threshold, 0.9);
  close(a.sensitivity.estimate, 1 / 3, 'sens at spec .9');
  close(a.specificity.estimate, 1, 'its specificity');
  // Sensitivity >= 0.9 needs every positive: t .2, where .7 and .3 are above: specificity 1/3.
  const b = by.get('specificity at sensitivity 0.95')!;
  assert.equal(b.threshold, 0.2);
  close(b.specificity.estimate, 1 / 3, 'spec at sens .95');
  assert.equal(s.operatingPoints.length, 5);
});

test('without resamples every interval is null, the estimates stay', () => {
  const s = studyFigures(RECORDS, { thresholds }, [], { resamples: 0 });
  assert.equal(s.auc.bootstrap.lower, null);
  close(s.auc.bootstrap.estimate, 6 / 9, 'auc');
  assert.ok(s.auc.delong !== null);
});

test("calibration before and after the bundle's temperature", () => {
  const calibration = { method: 'temperature' as const, temperature: 2, fittedOn: 'x', n: 6 };
  const s = studyFigures(RECORDS, { thresholds, calibration }, [], { resamples: 0 });
  const p = RECORDS.map((r) => r.probability);
  const y = RECORDS.map((r) => r.label);
  close(s.calibration.uncalibrated.brierScore, brierScore(p, y)!, 'brier before');
  close(
    s.calibration.calibrated!.brierScore,
    brierScore(
      p.map((v) => applyTemperature(v, 2)),
      y,
    )!,
    'brier after',
  );
  assert.equal(
    s.calibration.uncalibrated.bins.reduce((n, b) => n + b.count, 0),
    6,
  );
  assert.equal(studyFigures(RECORDS, { thresholds }, [], { resamples: 0 }).calibration.calibrated, null);
});

test('mask-size bands hold every negative; the shortcut probe compares negatives with and without a device', () => {
  // a 0.1% (small), c 1% (medium), e 5% (large).
  const fractions = new Map(RECORDS.map((r) => [r.imageId, { a: 0.001, c: 0.01, e: 0.05 }[r.imageId] ?? 0]));
  const device = parseGroupsCsv('ImageId,drain\na,yes\nb,yes\nc,no\nd,yes\ne,no\nf,no\n', 'groups.csv');
  const s = studyFigures(RECORDS, { thresholds }, [maskSizeFamily(fractions), ...device], { resamples: 100 });
  const bands = s.subgroups[0];
  assert.deepEqual(
    bands.groups.map((g) => [g.images, g.positives]),
    [
      [4, 1],
      [4, 1],
      [4, 1],
    ],
  );
  assert.equal(bands.unknown, 0);
  // Small band: a .9 over negatives .7 .3 .1: AUC 1. Large band: e .2 above only f .1: AUC 1/3.
  close(bands.groups[0].auc.estimate, 1, 'small band auc');
  close(bands.groups[2].auc.estimate, 1 / 3, 'large band auc');
  assert.ok(bands.groups[0].warnings.some((w) => /only 4 images/.test(w)));
  const probe = s.shortcuts[0];
  assert.equal(probe.device, 'drain');
  assert.deepEqual([probe.negativesWith.images, probe.negativesWithout.images], [2, 1]);
  // Negatives with the drain .7 .3, without .1: both above.
  close(probe.negativeShift, 1, 'shift');
  close(probe.negativesWith.meanProbability, 0.5, 'mean with');
  // With the drain: a .9 P, b .7 N, d .3 N: AUC 1. Without: c .6 P, e .2 P, f .1 N: AUC 1.
  close(probe.with.auc.estimate, 1, 'auc with');
  assert.equal(
    probe.negativesWith.histogram.reduce((a, b) => a + b),
    2,
  );
});

test('a --groups CSV: yes/no columns are devices, others groupings; bad files say why', () => {
  const [site, tube] = parseGroupsCsv('\uFEFFImageId,site,tube\r\na,north,1\r\nb,south,0\r\nc,north,\r\n', 'g.csv');
  assert.equal(site.device, undefined);
  assert.deepEqual(site.groups, ['north', 'south']);
  assert.equal(tube.device, 'tube');
  assert.deepEqual(tube.groups, ['with tube', 'without tube']);
  assert.equal(tube.groupOf.get('c'), undefined, 'an empty cell is unknown');
  assert.throws(() => parseGroupsCsv('Id,x\n', 'g.csv'), /g\.csv: line 1 must be ImageId/);
  assert.throws(() => parseGroupsCsv('ImageId,x\na,1,2\n', 'g.csv'), /g\.csv: line 2 has 3 fields/);
});

test("the SIIM sample's DICOM headers: sex, age bands and view positions", async () => {
  const index = await indexDataset(SIIM_SAMPLE, { labels: SIIM_SAMPLE_CSV });
  const headers = await readItemHeaders(index.items);
  assert.equal(headers.size, 10);
  const families = new Map<string, AttributeFamily>(headerFamilies(headers).map((f) => [f.key, f]));
  assert.deepEqual([...families.keys()], ['sex', 'age', 'view'], 'no manufacturer or station in the anonymised sample');
  const counts = (f: AttributeFamily) =>
    f.groups.map((g) => [g, [...f.groupOf.values()].filter((v) => v === g).length]);
  assert.deepEqual(counts(families.get('sex')!), [
    ['female', 6],
    ['male', 4],
  ]);
  // Ages 10, 16 | 28, 38 | 50, 56 | 65, 65, 68, 69.
  assert.deepEqual(counts(families.get('age')!), [
    ['under 18', 2],
    ['18-39', 2],
    ['40-59', 2],
    ['60-79', 4],
  ]);
  assert.deepEqual(counts(families.get('view')!), [
    ['PA', 5],
    ['AP', 5],
  ]);
  // Figures per group from these headers: each group's counts add up to the sample's.
  const records: PipelineRecord[] = index.items.map((item, k) => ({
    imageId: item.imageId,
    label: item.label,
    probability: item.label === 1 ? 0.6 + k / 100 : 0.3 + k / 100,
    segmentedDice: item.label === 1 ? 0.5 : 1,
    maskFound: item.label === 1,
  }));
  const sex = familyStudy(families.get('sex')!, records, thresholds, { resamples: 50 });
  assert.equal(
    sex.groups.reduce((n, g) => n + g.images, 0),
    10,
  );
  assert.equal(
    sex.groups.reduce((n, g) => n + g.positives, 0),
    5,
  );
  for (const g of sex.groups) close(g.auc.estimate, 1, `${g.name} auc (scores separate the classes)`);
});
