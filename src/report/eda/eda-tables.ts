// The EDA page's small builders shared by its sections: percentages, summary and class tables, the
// class bar chart, and long lists cut to a readable length (the full lists are in eda.json).
import type { Cell, HtmlReport, TableOptions } from '../html.js';
import { CLASS_COLORS, type PlotSpec } from '../plot.js';
import { barChart } from '../plot-bar.js';
import type { ClassCount } from './header-facts.js';
import type { Summary } from './stats.js';

export const CLASSES = ['negative', 'positive'] as const;
/** Lists longer than this are cut in the HTML (the full lists are in eda.json). */
const LIST_LIMIT = 50;

export function percent(share: number | null, digits = 1): string {
  return share === null ? 'n/a' : `${(share * 100).toFixed(digits)}%`;
}

export function summaryRows(rows: [string, Summary | null][], scale = 1, digits = 1): Cell[][] {
  const f = (v: number) => Number((v * scale).toFixed(digits));
  return rows.map(([name, s]) =>
    s
      ? [name, s.count, f(s.min), f(s.p25), f(s.median), f(s.p75), f(s.max), f(s.mean)]
      : [name, 0, null, null, null, null, null, null],
  );
}
export const SUMMARY_COLUMNS = ['', 'images', 'min', '25%', 'median', '75%', 'max', 'mean'];

export function classTable(rows: readonly ClassCount[], name: string): { columns: string[]; rows: Cell[][] } {
  const unlabelled = rows.some((r) => r.unlabelled > 0);
  return {
    columns: [name, 'negative', 'positive', ...(unlabelled ? ['unlabelled'] : []), 'total', 'positive rate'],
    rows: rows.map((r) => [
      r.value,
      r.negative,
      r.positive,
      ...(unlabelled ? [r.unlabelled] : []),
      r.total,
      percent(r.positiveRate),
    ]),
  };
}

export function countsTable(counts: Record<string, number>, name: string): { columns: string[]; rows: Cell[][] } {
  return { columns: [name, 'images'], rows: Object.entries(counts) };
}

export function classBars(rows: readonly ClassCount[], title: string, categoryTitle: string): PlotSpec {
  return barChart({
    title,
    data: rows.flatMap((r) => CLASSES.map((c) => ({ category: r.value, group: c, value: r[c] }))),
    categoryTitle,
    valueTitle: 'Images',
    groupTitle: 'Class',
    groupOrder: CLASSES,
    groupColors: CLASS_COLORS,
    showValues: true,
  });
}

export function clip<T>(items: readonly T[]): { shown: T[]; more: number } {
  return { shown: items.slice(0, LIST_LIMIT), more: Math.max(0, items.length - LIST_LIMIT) };
}

/** A table of the first items of a long list, and a line saying how many more eda.json holds. */
export function clippedTable<T>(
  report: HtmlReport,
  items: readonly T[],
  table: Omit<TableOptions, 'rows'>,
  row: (item: T) => Cell[],
): void {
  const { shown, more } = clip(items);
  report.table({ ...table, rows: shown.map(row) });
  if (more) report.paragraph(`... and ${more} more (all listed in eda.json).`);
}
