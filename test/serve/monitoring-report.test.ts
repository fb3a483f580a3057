// The monitoring report from rows given by hand: shares, latency quantiles, agreement, groups by day
// and station, drift figures only with a reference and enough scores, and OOD drift when both the
// reference and the results have OOD scores.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { monitoringReport, DEFAULT_DRIFT_SETTINGS } from '../../src/serve/monitoring/monitoring-report.js';
import { ksStatistic, populationStabilityIndex } from '../../src/metrics/distribution-shift.js';
import type { MonitoringRow } from '../../src/serve/store/store.js';

const DAY1 = Date.UTC(2026, 4, 1, 10);
const DAY2 = Date.UTC(2026, 4, 2, 10);

function row(overrides: Partial<MonitoringRow>): MonitoringRow {
  return {
    receivedAt: DAY1,
    state: 'done',
    stationName: 'ST1',
    manufacturer: 'M1',
    finishedAt: DAY1 + 1000,
    probability: 0.5,
    decision: false,
    assessed: true,
    oodScore: null,
    verdict: null,
    ...overrides,
  };
}

const settings = { ...DEFAULT_DRIFT_SETTINGS, minN: 3, bins: 2, psi: 0.2, ks: 0.5 };

test('shares, latency, agreement and groups by hand; no reference: figures without drift, and why', () => {
  const rows = [
    row({ decision: true, verdict: 'agree', finishedAt: DAY1 + 1000 }),
    row({ decision: false, verdict: 'disagree', finishedAt: DAY1 + 3000 }),
    row({ decision: true, finishedAt: DAY1 + 2000, verdict: 'agree' }),
    row({ assessed: false, decision: false, finishedAt: DAY1 + 4000 }),
    row({ state: 'failed', probability: null, decision: null, finishedAt: null }),
    row({
      receivedAt: DAY2,
      stationName: null,
      manufacturer: null,
      state: 'queued',
      probability: null,
      decision: null,
      finishedAt: null,
    }),
  ];
  const r = monitoringReport({
    rows,
    recent: rows.slice(0, 4),
    from: DAY1 - 1,
    to: DAY2 + 1,
    reference: null,
    referenceNote: null,
    settings,
  });
  assert.equal(r.total.volume, 6);
  assert.equal(r.total.results, 4);
  assert.equal(r.total.failed, 1);
  assert.equal(r.total.pending, 1);
  assert.equal(r.total.sharePositive, 2 / 3, 'positives among the assessed');
  assert.equal(r.total.shareNotAssessed, 1 / 4);
  // Latencies 1, 2, 3, 4 s: numpy's linear quantiles 2.5 and 3.97.
  assert.equal(r.total.latencySeconds!.p50, 2.5);
  assert.ok(Math.abs(r.total.latencySeconds!.p99 - 3.97) < 1e-12);
  assert.equal(r.total.reviewed, 3);
  assert.equal(r.total.agreementRate, 2 / 3);
  assert.deepEqual(
    r.byDay.map((d) => [d.day, d.volume]),
    [
      ['2026-05-01', 5],
      ['2026-05-02', 1],
    ],
  );
  assert.deepEqual(
    r.byStation.map((s) => [s.station, s.manufacturer, s.volume]),
    [
      ['ST1', 'M1', 5],
      ['unknown', 'unknown', 1],
    ],
  );
  assert.equal(r.reference.available, false);
  assert.match(String(r.reference.note), /no reference distribution/);
  assert.equal(r.total.probability.psi, null);
  assert.match(String(r.total.probability.note), /no reference distribution/);
  assert.equal(r.total.probability.n, 3, 'the assessed results only');
  assert.deepEqual(r.warnings, []);
  assert.equal(r.total.probability.histogram[10], 1, 'all three at 0.5, in the bin [0.5, 0.55)');
});

test('drift figures against the reference, per group, with warnings; OOD scores when both sides have them', () => {
  const reference = {
    probabilities: [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8],
    oodScores: [1, 2, 3, 4, 5, 6, 7, 8],
    source: 'by hand',
  };
  const day1 = [0.15, 0.35, 0.55, 0.75].map((p, i) => row({ probability: p, oodScore: i * 2 + 1.5 }));
  const day2 = [0.9, 0.92, 0.95, 0.97].map((p) =>
    row({ receivedAt: DAY2, stationName: 'ST2', probability: p, oodScore: 20 }),
  );
  const few = [row({ receivedAt: DAY2, stationName: 'ST3', probability: 0.99 })];
  const rows = [...day1, ...day2, ...few];
  const r = monitoringReport({
    rows,
    recent: [...day2, ...few],
    from: DAY1,
    to: DAY2 + 1,
    reference,
    referenceNote: null,
    settings,
  });
  const d1 = r.byDay[0];
  assert.equal(d1.probability.psi, populationStabilityIndex(reference.probabilities, [0.15, 0.35, 0.55, 0.75], 2));
  assert.equal(d1.probability.ks, ksStatistic(reference.probabilities, [0.15, 0.35, 0.55, 0.75]));
  assert.equal(d1.probability.drifted, false);
  assert.equal(d1.ood.drifted, false);
  const d2 = r.byDay[1];
  assert.equal(d2.probability.ks, 1, 'every current value above the reference');
  assert.equal(d2.probability.drifted, true);
  assert.equal(d2.ood.n, 4);
  assert.equal(d2.ood.drifted, true);
  const st3 = r.byStation.find((s) => s.station === 'ST3')!;
  assert.equal(st3.probability.psi, null);
  assert.match(String(st3.probability.note), /too few scores for drift figures \(1 < 3\)/);
  assert.deepEqual(
    r.warnings.map((w) => w.key),
    [
      'recent:probability',
      'recent:OOD score',
      'day:2026-05-02:probability',
      'day:2026-05-02:OOD score',
      'station:M1:ST2:probability',
      'station:M1:ST2:OOD score',
    ],
  );
  assert.match(r.warnings[2].message, /probability distribution drifted .* on 2026-05-02 \(n 5\): .*KS 1\.000 > 0\.5/);
  assert.equal(r.reference.oodNote, null);
  assert.deepEqual(r.histogramEdges.ood.slice(0, 2), [1, 1 + 19 / 20], 'OOD bins span every score seen');
});
