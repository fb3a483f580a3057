// The monitoring figures as Prometheus gauges, computed at each scrape from the monitor's check of the
// default period: scope "recent" (the drift window), "period" (all instances of the period) and
// "station" (each station and manufacturer). Days are left to Prometheus's own time axis.
import { Gauge, type Registry } from 'prom-client';
import type { GroupFigures, MonitoringReport } from './monitoring-report.js';

type Labels = 'scope' | 'station' | 'manufacturer';

export function registerMonitoringMetrics(registry: Registry, report: () => Promise<MonitoringReport>): void {
  // Every gauge's collect awaits the same report (the monitor caches it per scrape); the first to
  // resume fills them all. prom-client collects the gauges of a scrape concurrently.
  let filledFrom: MonitoringReport | null = null;
  const fill = async () => {
    const r = await report();
    if (r === filledFrom) return;
    filledFrom = r;
    for (const g of all) g.reset();
    referenceAvailable.set(r.reference.available ? 1 : 0);
    set({ scope: 'recent', station: '', manufacturer: '' }, r.recent);
    set({ scope: 'period', station: '', manufacturer: '' }, r.total);
    for (const s of r.byStation) set({ scope: 'station', station: s.station, manufacturer: s.manufacturer }, s);
  };
  const gauge = <L extends string>(name: string, help: string, labelNames: L[]) =>
    new Gauge<L>({ name, help, labelNames, registers: [registry], collect: fill });
  const labels: Labels[] = ['scope', 'station', 'manufacturer'];
  const volume = gauge(
    'pneumo_monitoring_instances',
    'Instances received (recent: results in the drift window)',
    labels,
  );
  const positive = gauge('pneumo_monitoring_share_positive', 'Share of assessed results that are positive', labels);
  const notAssessed = gauge('pneumo_monitoring_share_not_assessed', 'Share of results the input gate refused', labels);
  const latency = gauge('pneumo_monitoring_latency_seconds', 'Arrival to result, by quantile', [...labels, 'quantile']);
  const agreement = gauge('pneumo_monitoring_agreement_rate', 'Share of reviews agreeing with the model', labels);
  const psi = gauge('pneumo_monitoring_psi', "Population stability index against the validation set's scores", [
    ...labels,
    'score',
  ]);
  const ks = gauge('pneumo_monitoring_ks', "Two-sample KS statistic against the validation set's scores", [
    ...labels,
    'score',
  ]);
  const drift = gauge('pneumo_monitoring_drift', '1 when the score passed the configured drift level', [
    ...labels,
    'score',
  ]);
  const referenceAvailable = gauge(
    'pneumo_monitoring_reference_available',
    'Whether the bundle has reference distributions (drift figures need them)',
    [],
  );
  const all = [volume, positive, notAssessed, latency, agreement, psi, ks, drift];

  const set = (l: Record<Labels, string>, f: GroupFigures) => {
    volume.set(l, l.scope === 'recent' ? f.results : f.volume);
    if (f.sharePositive !== null) positive.set(l, f.sharePositive);
    if (f.shareNotAssessed !== null) notAssessed.set(l, f.shareNotAssessed);
    if (f.latencySeconds) {
      latency.set({ ...l, quantile: '0.5' }, f.latencySeconds.p50);
      latency.set({ ...l, quantile: '0.99' }, f.latencySeconds.p99);
    }
    if (f.agreementRate !== null) agreement.set(l, f.agreementRate);
    for (const [score, d] of [
      ['probability', f.probability],
      ['ood', f.ood],
    ] as const) {
      if (d.psi !== null) psi.set({ ...l, score }, d.psi);
      if (d.ks !== null) ks.set({ ...l, score }, d.ks);
      if (d.psi !== null || d.ks !== null) drift.set({ ...l, score }, d.drifted ? 1 : 0);
    }
  };
}
