// The shape of the monitoring report (GET /api/monitoring), apart from its computation
// (monitoring-report.ts) so that the browser's monitoring page reads the same type without Node.

export interface DriftSettings {
  /** A PSI above this is drift; null: PSI is not checked. */
  psi: number | null;
  /** A KS statistic above this is drift; null: KS is not checked. */
  ks: number | null;
  /** PSI bins (reference quantiles). */
  bins: number;
  /** Fewer scores than this in a group: no drift figures (PSI is biased upwards on small samples). */
  minN: number;
  /** The most recent results drift is watched over (the `recent` group). */
  window: number;
}

/** One score's distribution in a group against the reference. */
export interface ScoreDrift {
  n: number;
  psi: number | null;
  ks: number | null;
  drifted: boolean;
  /** Why there are no figures (no reference, too few scores), or null. */
  note: string | null;
  /** Share of the group's scores in each histogram bin (the report's `histogramEdges`). */
  histogram: number[];
}

export interface GroupFigures {
  /** Instances received (whatever their state). */
  volume: number;
  results: number;
  failed: number;
  pending: number;
  /** Positives among the assessed results; null without any. */
  sharePositive: number | null;
  /** Results the input gate refused, over all results; null without results. */
  shareNotAssessed: number | null;
  /** Seconds from arrival to committed result. */
  latencySeconds: { p50: number; p99: number } | null;
  reviewed: number;
  /** Reviews that agreed with the model, over all reviews; null without reviews. */
  agreementRate: number | null;
  probability: ScoreDrift;
  ood: ScoreDrift;
}

export interface ReferenceSummary {
  available: boolean;
  /** Why there are no drift figures (the bundle has no reference, or one without OOD scores), or null. */
  note: string | null;
  oodNote: string | null;
  n: number;
  source: string | null;
  probabilityHistogram: number[];
  oodHistogram: number[];
}

export interface MonitoringReport {
  from: string;
  to: string;
  settings: DriftSettings;
  reference: ReferenceSummary;
  /** Bin edges of the probability histograms (equal width over [0, 1]) and of the OOD ones (the reference's range). */
  histogramEdges: { probability: number[]; ood: number[] };
  total: GroupFigures;
  recent: GroupFigures;
  byDay: (GroupFigures & { day: string })[];
  byStation: (GroupFigures & { station: string; manufacturer: string })[];
  /** One line per drifted group and score; empty when nothing drifted. */
  warnings: { key: string; message: string }[];
}
