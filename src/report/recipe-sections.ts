// The two report sections that the demo and fit reports share: the recipe each stage followed (a
// plan's data as a table) and each training run with its curves and files.
import path from 'node:path';
import type { HtmlReport } from './html.js';
import type { StageRecipe } from './demo-summary.js';
import type { TrainedRunSummary } from './fit-summary.js';

const fmt = (v: number | null | undefined, digits = 3) => (v === null || v === undefined ? 'n/a' : v.toFixed(digits));

/** A value as a reader writes it: `{p: 0.5, negativesOnly: true}`, spaced so that a table cell can wrap it. */
function plainValue(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(plainValue).join(', ')}]`;
  if (value !== null && typeof value === 'object')
    return `{${Object.entries(value)
      .map(([k, v]) => `${k}: ${plainValue(v)}`)
      .join(', ')}}`;
  return String(value);
}

/** Settings as `key: value` pairs (raw JSON has no spaces, so its cell could not wrap). */
export function settingsText(settings: object): string {
  return Object.entries(settings)
    .map(([key, value]) => `${key}: ${plainValue(value)}`)
    .join('; ');
}

export function recipeSection(
  report: HtmlReport,
  plan: { inputSize: number; segmenter: StageRecipe; classifier: StageRecipe },
  precision: string,
  caption: string,
): void {
  report.section('Recipe');
  report.table({
    columns: ['stage', 'model', 'input', 'epochs', 'batch', 'learning rate', 'settings beyond the defaults'],
    rows: (['segmenter', 'classifier'] as const).map((stage) => {
      const r = plan[stage];
      return [
        stage,
        r.model,
        `${plan.inputSize} px, ${precision}`,
        r.epochs,
        r.batch,
        r.lr,
        r.settings ? settingsText(r.settings) : '-',
      ];
    }),
    caption,
  });
}

/** Each run: epochs, images, best and kept epoch, its curve plots and its metrics.csv and run.json. */
export function trainingSection(
  report: HtmlReport,
  out: string,
  runs: readonly (readonly [string, TrainedRunSummary])[],
): void {
  const rel = (file: string) => path.relative(out, file);
  report.section('Training');
  for (const [name, run] of runs) {
    const best = run.best
      ? `best validation ${run.monitor} ${fmt(run.best.value)} at epoch ${run.best.epoch}`
      : 'no best epoch';
    const kept =
      run.kept?.rule === 'last'
        ? `; the last epoch's weights are kept (validation ${run.monitor} ${fmt(run.kept.value)})`
        : '';
    report.paragraph(
      `${name}: ${run.epochsRun} epochs on ${run.trainImages} images, validated on ${run.validationImages}; ${best}${kept}.`,
    );
    for (const plot of run.plots)
      report.image(rel(plot), { caption: `${name}: ${path.basename(plot, '.png')}`, link: rel(plot), width: 420 });
    report.links([
      { href: rel(path.join(run.run, 'metrics.csv')), text: `${name} metrics.csv` },
      { href: rel(path.join(run.run, 'run.json')), text: `${name} run.json` },
    ]);
  }
}
