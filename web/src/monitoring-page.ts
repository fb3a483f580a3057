// Monitoring (#/monitoring): what the service has seen against what the model was validated on
// (GET /api/monitoring, docs/serve.md "Monitoring"). Drift warnings first; then one table with the
// drift window, the whole period, each day and each station: volume, share positive, share not
// assessed, latency, reviewers' agreement, and PSI / KS of the probabilities and OOD scores; then the
// probability and OOD histograms of the drift window over the validation set's.
import { getJson } from './api.js';
import { el } from './dom.js';
import type { GroupFigures, MonitoringReport, ScoreDrift } from '../../src/serve/monitoring/monitoring-report-types.js';

const POLL_MS = 10_000;
const PERIODS = [7, 30, 90];
const COLUMNS = [
  'Group',
  'Instances',
  'Results',
  'Positive',
  'Not assessed',
  'Latency p50 / p99',
  'Reviews',
  'Agreement',
  'Probability PSI / KS',
  'OOD PSI / KS',
];

const share = (v: number | null) => (v === null ? '–' : `${(100 * v).toFixed(1)} %`);
const seconds = (v: number) => (v < 10 ? `${v.toFixed(2)} s` : `${v.toFixed(0)} s`);

function driftText(d: ScoreDrift): string {
  if (d.psi === null || d.ks === null) return d.note ? `– (${d.note})` : '–';
  return `${d.psi.toFixed(3)} / ${d.ks.toFixed(3)}${d.drifted ? ' ⚠' : ''}`;
}

function row(name: string, f: GroupFigures): HTMLTableRowElement {
  const drifted = f.probability.drifted || f.ood.drifted;
  const cells = [
    name,
    String(f.volume),
    String(f.results),
    share(f.sharePositive),
    share(f.shareNotAssessed),
    f.latencySeconds ? `${seconds(f.latencySeconds.p50)} / ${seconds(f.latencySeconds.p99)}` : '–',
    String(f.reviewed),
    share(f.agreementRate),
    driftText(f.probability),
    driftText(f.ood),
  ];
  return el('tr', { class: drifted ? 'drifted' : undefined }, ...cells.map((c) => el('td', {}, c)));
}

/** Bars of the drift window's shares (filled) over the validation set's (outlined), bin by bin. */
function drawHistogram(canvas: HTMLCanvasElement, current: readonly number[], reference: readonly number[]): void {
  const g = canvas.getContext('2d');
  if (!g) return;
  const { width, height } = canvas;
  g.clearRect(0, 0, width, height);
  const bins = Math.max(current.length, reference.length);
  const top = Math.max(...current, ...reference, 1e-9);
  const w = width / Math.max(bins, 1);
  for (let k = 0; k < bins; k++) {
    const c = ((current[k] ?? 0) / top) * (height - 4);
    const r = ((reference[k] ?? 0) / top) * (height - 4);
    g.fillStyle = '#4a90c2';
    g.fillRect(k * w + 2, height - c, w - 4, c);
    g.strokeStyle = '#e0a030';
    g.lineWidth = 2;
    g.strokeRect(k * w + 1, height - r, w - 2, r);
  }
}

function histogramFigure(
  title: string,
  edges: readonly number[],
  current: readonly number[],
  reference: readonly number[],
): HTMLElement {
  const canvas = el('canvas', { width: 480, height: 140, class: 'histogram', 'aria-label': title });
  drawHistogram(canvas, current, reference);
  const range = edges.length > 1 ? `${edges[0].toFixed(2)} … ${edges[edges.length - 1].toFixed(2)}` : '';
  return el(
    'figure',
    { class: 'histogram-figure' },
    canvas,
    el('figcaption', {}, `${title} (${range}): filled, the drift window; outlined, the validation set`),
  );
}

export function showMonitoring(root: HTMLElement, back: () => void): () => void {
  const period = el(
    'select',
    { 'aria-label': 'Period' },
    ...PERIODS.map((d) => el('option', { value: d }, `last ${d} days`)),
  );
  const refreshed = el('span', { class: 'refreshed', role: 'status' }, 'loading…');
  const backButton = el('button', { type: 'button' }, 'Worklist');
  const warnings = el('section', { class: 'warnings', role: 'alert' });
  const referenceNote = el('p', { class: 'reference-note' });
  const tbody = el('tbody');
  const table = el(
    'table',
    { class: 'worklist monitoring', 'aria-label': 'Monitoring' },
    el('thead', {}, el('tr', {}, ...COLUMNS.map((c) => el('th', { scope: 'col' }, c)))),
    tbody,
  );
  const histograms = el('div', { class: 'histograms' });
  root.replaceChildren(
    el('header', { class: 'bar' }, el('h1', {}, 'pneumo monitoring'), period, refreshed, backButton),
    el('div', { class: 'table-scroll' }, warnings, referenceNote, table, histograms),
  );
  backButton.addEventListener('click', back);

  function render(r: MonitoringReport): void {
    warnings.replaceChildren(
      ...(r.warnings.length > 0
        ? [el('h2', {}, 'Drift'), el('ul', {}, ...r.warnings.map((w) => el('li', {}, w.message)))]
        : []),
    );
    warnings.hidden = r.warnings.length === 0;
    const s = r.settings;
    referenceNote.textContent = r.reference.available
      ? `Reference: ${r.reference.n} validation images (${r.reference.source}). Drift: PSI above ${s.psi ?? 'off'} ` +
        `or KS above ${s.ks ?? 'off'}, over at least ${s.minN} scores; the drift window is the last ${s.window} results.` +
        (r.reference.oodNote ? ` OOD: ${r.reference.oodNote}.` : '')
      : `No drift figures: ${r.reference.note}.`;
    tbody.replaceChildren(
      row(`Last ${r.recent.results} results (drift window)`, r.recent),
      row('Whole period', r.total),
      ...r.byDay.map((d) => row(d.day, d)),
      ...r.byStation.map((st) => row(`${st.station} (${st.manufacturer})`, st)),
    );
    histograms.replaceChildren(
      histogramFigure(
        'Probability',
        r.histogramEdges.probability,
        r.recent.probability.histogram,
        r.reference.probabilityHistogram,
      ),
      histogramFigure('OOD score', r.histogramEdges.ood, r.recent.ood.histogram, r.reference.oodHistogram),
    );
    refreshed.textContent = `updated ${new Date().toLocaleTimeString()} · ${r.from.slice(0, 10)} to ${r.to.slice(0, 10)}`;
  }

  let stopped = false;
  let timer: number | undefined;
  async function refresh(): Promise<void> {
    window.clearTimeout(timer);
    try {
      render(await getJson<MonitoringReport>(`/api/monitoring?days=${period.value}`));
    } catch (err) {
      refreshed.textContent = `cannot refresh: ${(err as Error).message}`;
    }
    if (!stopped) timer = window.setTimeout(() => void refresh(), POLL_MS);
  }
  period.addEventListener('change', () => void refresh());
  void refresh();
  return () => {
    stopped = true;
    window.clearTimeout(timer);
  };
}
