// What the monitoring page and GET /api/monitoring show, computed from the store's rows (a pure
// function, so the tests give it rows by hand): per group of instances (all of them, each day of
// arrival, each station and manufacturer, and the most recent results) the volume, the share
// positive, the share not assessed, the latency from arrival to result (p50, p99), the reviewers'
// agreement rate, and the distributions of the classifier's probability and of the input gate's OOD
// score against the bundle's reference (the validation set's), as PSI and the two-sample KS statistic
// (metrics/distribution-shift.ts). A group whose PSI or KS passes the configured level has drifted.
import { quantileSorted } from '../../metrics/bootstrap.js';
import { ksStatistic, populationStabilityIndex } from '../../metrics/distribution-shift.js';
import type { ReferenceDistribution } from '../../pipeline/bundle-reference.js';
import type { MonitoringRow } from '../store/store.js';
import type { DriftSettings, GroupFigures, MonitoringReport, ScoreDrift } from './monitoring-report-types.js';

export type { DriftSettings, GroupFigures, MonitoringReport, ScoreDrift } from './monitoring-report-types.js';

export const DEFAULT_DRIFT_SETTINGS: DriftSettings = { psi: 0.2, ks: 0.2, bins: 10, minN: 100, window: 500 };

export const UNKNOWN = 'unknown';
const HISTOGRAM_BINS = 20;

function histogram(values: readonly number[], edges: readonly number[]): number[] {
  const bins = edges.length - 1;
  const counts = new Array<number>(Math.max(bins, 0)).fill(0);
  if (bins <= 0 || values.length === 0) return counts;
  const lo = edges[0];
  const width = (edges[bins] - lo) / bins;
  for (const v of values) {
    const k = width > 0 ? Math.floor((v - lo) / width) : 0;
    counts[Math.min(bins - 1, Math.max(0, k))]++;
  }
  return counts.map((c) => c / values.length);
}

function equalEdges(lo: number, hi: number): number[] {
  return Array.from({ length: HISTOGRAM_BINS + 1 }, (_, k) => lo + ((hi - lo) * k) / HISTOGRAM_BINS);
}

function scoreDrift(
  values: number[],
  reference: readonly number[] | null,
  missingNote: string,
  settings: DriftSettings,
  edges: readonly number[],
): ScoreDrift {
  const base = { n: values.length, histogram: histogram(values, edges) };
  if (!reference) return { ...base, psi: null, ks: null, drifted: false, note: missingNote };
  if (values.length < settings.minN)
    return {
      ...base,
      psi: null,
      ks: null,
      drifted: false,
      note: `too few scores for drift figures (${values.length} < ${settings.minN})`,
    };
  const psi = populationStabilityIndex(reference, values, settings.bins);
  const ks = ksStatistic(reference, values);
  const drifted = (settings.psi !== null && psi > settings.psi) || (settings.ks !== null && ks > settings.ks);
  return { ...base, psi, ks, drifted, note: null };
}

interface Context {
  reference: ReferenceDistribution | null;
  referenceNote: string;
  oodNote: string;
  settings: DriftSettings;
  edges: { probability: number[]; ood: number[] };
}

export function groupFigures(rows: readonly MonitoringRow[], c: Context): GroupFigures {
  const withResult = rows.filter((r) => r.probability !== null);
  const assessed = withResult.filter((r) => r.assessed);
  const reviewed = rows.filter((r) => r.verdict !== null);
  const latencies = withResult
    .filter((r) => r.finishedAt !== null)
    .map((r) => Math.max(0, r.finishedAt! - r.receivedAt) / 1000)
    .sort((a, b) => a - b);
  const oodScores = withResult.filter((r) => r.oodScore !== null).map((r) => r.oodScore!);
  return {
    volume: rows.length,
    results: withResult.length,
    failed: rows.filter((r) => r.state === 'failed').length,
    pending: rows.filter((r) => r.state === 'queued' || r.state === 'running').length,
    sharePositive: assessed.length > 0 ? assessed.filter((r) => r.decision).length / assessed.length : null,
    shareNotAssessed: withResult.length > 0 ? (withResult.length - assessed.length) / withResult.length : null,
    latencySeconds:
      latencies.length > 0 ? { p50: quantileSorted(latencies, 0.5), p99: quantileSorted(latencies, 0.99) } : null,
    reviewed: reviewed.length,
    agreementRate: reviewed.length > 0 ? reviewed.filter((r) => r.verdict === 'agree').length / reviewed.length : null,
    // Probabilities of assessed images only: a refused image's probability is not a finding.
    probability: scoreDrift(
      assessed.map((r) => r.probability!),
      c.reference?.probabilities ?? null,
      c.referenceNote,
      c.settings,
      c.edges.probability,
    ),
    ood: scoreDrift(oodScores, c.reference?.oodScores ?? null, c.oodNote, c.settings, c.edges.ood),
  };
}

function groupBy<T>(rows: readonly MonitoringRow[], key: (r: MonitoringRow) => T, id: (k: T) => string) {
  const groups = new Map<string, { key: T; rows: MonitoringRow[] }>();
  for (const r of rows) {
    const k = key(r);
    const name = id(k);
    let group = groups.get(name);
    if (!group) groups.set(name, (group = { key: k, rows: [] }));
    group.rows.push(r);
  }
  return [...groups.values()];
}

function warningsOf(name: string, key: string, figures: GroupFigures, settings: DriftSettings) {
  const out: { key: string; message: string }[] = [];
  for (const [score, drift] of [
    ['probability', figures.probability],
    ['OOD score', figures.ood],
  ] as const) {
    if (!drift.drifted) continue;
    const parts = [
      settings.psi !== null && drift.psi! > settings.psi ? `PSI ${drift.psi!.toFixed(3)} > ${settings.psi}` : null,
      settings.ks !== null && drift.ks! > settings.ks ? `KS ${drift.ks!.toFixed(3)} > ${settings.ks}` : null,
    ].filter(Boolean);
    out.push({
      key: `${key}:${score}`,
      message: `${score} distribution drifted from the validation set's, ${name} (n ${drift.n}): ${parts.join(', ')}`,
    });
  }
  return out;
}

export interface ReportInput {
  /** Instances received in the period, oldest first. */
  rows: readonly MonitoringRow[];
  /** The most recent results, any order. */
  recent: readonly MonitoringRow[];
  from: number;
  to: number;
  reference: ReferenceDistribution | null;
  /** Why there is no reference (shown instead of drift figures). */
  referenceNote: string | null;
  settings: DriftSettings;
}

export function monitoringReport(input: ReportInput): MonitoringReport {
  const { reference, settings } = input;
  const referenceNote = input.referenceNote ?? 'the bundle has no reference distribution';
  const oodNote = reference
    ? "the bundle's reference has no OOD scores (the bundle was made without an input gate)"
    : referenceNote;
  const allOod = [
    ...(reference?.oodScores ?? []),
    ...input.rows.flatMap((r) => (r.oodScore !== null ? [r.oodScore] : [])),
    ...input.recent.flatMap((r) => (r.oodScore !== null ? [r.oodScore] : [])),
  ];
  const oodLo = allOod.length > 0 ? Math.min(...allOod) : 0;
  const oodHi = allOod.length > 0 ? Math.max(...allOod) : 1;
  const edges = { probability: equalEdges(0, 1), ood: equalEdges(oodLo, oodHi > oodLo ? oodHi : oodLo + 1) };
  const c: Context = { reference, referenceNote, oodNote, settings, edges };
  const day = (r: MonitoringRow) => new Date(r.receivedAt).toISOString().slice(0, 10);
  const byDay = groupBy(input.rows, day, (d) => d).map((g) => ({ day: g.key, ...groupFigures(g.rows, c) }));
  const byStation = groupBy(
    input.rows,
    (r) => ({ station: r.stationName || UNKNOWN, manufacturer: r.manufacturer || UNKNOWN }),
    (k) => `${k.manufacturer}\u0000${k.station}`,
  )
    .map((g) => ({ ...g.key, ...groupFigures(g.rows, c) }))
    .sort((a, b) => b.volume - a.volume || a.station.localeCompare(b.station));
  const recent = groupFigures(input.recent, c);
  const warnings = [
    ...warningsOf(`over the last ${recent.results} results`, 'recent', recent, settings),
    ...byDay.flatMap((d) => warningsOf(`on ${d.day}`, `day:${d.day}`, d, settings)),
    ...byStation.flatMap((s) =>
      warningsOf(`at station ${s.station} (${s.manufacturer})`, `station:${s.manufacturer}:${s.station}`, s, settings),
    ),
  ];
  return {
    from: new Date(input.from).toISOString(),
    to: new Date(input.to).toISOString(),
    settings,
    reference: {
      available: reference !== null,
      note: reference ? null : referenceNote,
      oodNote: reference?.oodScores ? null : oodNote,
      n: reference?.probabilities.length ?? 0,
      source: reference?.source ?? null,
      probabilityHistogram: histogram(reference?.probabilities ?? [], edges.probability),
      oodHistogram: histogram(reference?.oodScores ?? [], edges.ood),
    },
    histogramEdges: edges,
    total: groupFigures(input.rows, c),
    recent,
    byDay,
    byStation,
    warnings,
  };
}
