// Watches what the service sees against the bundle's reference distributions: builds the monitoring
// report from the store (monitoring-report.ts) and logs each drift warning when it appears and when
// it clears, so that a drift is in the log even when nobody opens the page. The check runs shortly
// after results are committed (debounced), on every look at the default period through the API, and
// at every Prometheus scrape.
import { readBundleManifest } from '../../pipeline/bundle.js';
import { readReferenceDistribution, type ReferenceDistribution } from '../../pipeline/bundle-reference.js';
import type { Store } from '../store/store.js';
import { monitoringReport, type DriftSettings, type MonitoringReport } from './monitoring-report.js';

const DAY_MS = 86_400_000;
/** The period the log and Prometheus watch: the last week, by day of arrival. */
export const DEFAULT_MONITORING_DAYS = 7;

export interface MonitorLog {
  warn(obj: object, msg: string): void;
  info(obj: object, msg: string): void;
}

export interface MonitorOptions {
  store: Store;
  settings: DriftSettings;
  clock: () => number;
  log: MonitorLog;
  reference: ReferenceDistribution | null;
  /** Why there is no reference, when there is none. */
  referenceNote: string | null;
  /** How long after a result the check runs (results come in bursts); default 1000 ms. */
  debounceMs?: number;
}

/** The bundle's reference distributions, or null and why not (a bundle without one, or a broken file). */
export async function loadReference(
  bundleDir: string,
): Promise<{ reference: ReferenceDistribution | null; note: string | null }> {
  const manifest = await readBundleManifest(bundleDir);
  if (!manifest.reference)
    return {
      reference: null,
      note: 'the bundle has no reference distribution (bundle.json has no "reference"; `pneumo evaluate --write-bundle` on the validation split adds one)',
    };
  try {
    return { reference: await readReferenceDistribution(bundleDir, manifest.reference), note: null };
  } catch (err) {
    return { reference: null, note: `the bundle's reference distribution cannot be used: ${(err as Error).message}` };
  }
}

export class Monitor {
  private readonly active = new Map<string, string>();
  private timer: NodeJS.Timeout | null = null;
  private latest: { at: number; report: Promise<MonitoringReport> } | null = null;
  /** Checks run one after the other, so that the logged state follows the store in order. */
  private chain: Promise<unknown> = Promise.resolve();

  constructor(private readonly o: MonitorOptions) {}

  get settings(): DriftSettings {
    return this.o.settings;
  }

  /** The report over [from, to) without touching the logged state. */
  async report(from: number, to: number): Promise<MonitoringReport> {
    const [rows, recent] = await Promise.all([
      this.o.store.monitoringRows(from, to),
      this.o.store.recentResults(this.o.settings.window),
    ]);
    return monitoringReport({
      rows,
      recent,
      from,
      to,
      reference: this.o.reference,
      referenceNote: this.o.referenceNote,
      settings: this.o.settings,
    });
  }

  /** The report over the default period; logs the warnings that appeared or cleared since the last check. */
  check(): Promise<MonitoringReport> {
    const next = this.chain.then(() => this.checkNow());
    this.chain = next.catch(() => undefined);
    return next;
  }

  private async checkNow(): Promise<MonitoringReport> {
    const now = this.o.clock();
    const report = await this.report(now - DEFAULT_MONITORING_DAYS * DAY_MS, now + 1);
    const seen = new Set<string>();
    for (const w of report.warnings) {
      seen.add(w.key);
      if (!this.active.has(w.key)) this.o.log.warn({ drift: w.key }, w.message);
      this.active.set(w.key, w.message);
    }
    for (const [key, message] of this.active)
      if (!seen.has(key)) {
        this.active.delete(key);
        this.o.log.info({ drift: key }, `drift cleared: ${message}`);
      }
    return report;
  }

  /** The last check if it is under `maxAgeMs` old, else a new one (one computation per Prometheus scrape). */
  cachedCheck(maxAgeMs = 1000): Promise<MonitoringReport> {
    const now = Date.now();
    if (!this.latest || now - this.latest.at > maxAgeMs) this.latest = { at: now, report: this.check() };
    return this.latest.report;
  }

  /** A result was committed: check soon. */
  schedule(): void {
    if (this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      this.check().catch((err: Error) => this.o.log.warn({ err: err.message }, 'monitoring check failed'));
    }, this.o.debounceMs ?? 1000);
    this.timer.unref();
  }

  close(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }
}
