// Interval ("forest") plot: one row per category, a dot at the estimate and a bar over its 95%
// interval, optionally coloured by a group and with a dashed reference value (e.g. the overall AUC):
// the subgroup figures a clinical study shows.
import { distinct, frameProperties, groupColorScale, type ChartFrame, type PlotSpec } from './plot.js';

export interface IntervalDatum {
  category: string;
  estimate: number;
  /** Omitted (or null) where there is no interval: only the dot is drawn. */
  lower?: number | null;
  upper?: number | null;
  group?: string;
}

export interface IntervalChartOptions extends ChartFrame {
  data: readonly IntervalDatum[];
  valueTitle: string;
  categoryTitle?: string;
  domain?: [number, number];
  reference?: { value: number; label: string };
  groupTitle?: string;
}

export function intervalChart(options: IntervalChartOptions): PlotSpec {
  const data = options.data
    .filter((d) => Number.isFinite(d.estimate))
    .map((d) => ({
      category: d.category,
      estimate: d.estimate,
      lower: d.lower ?? d.estimate,
      upper: d.upper ?? d.estimate,
      group: d.group ?? '',
    }));
  const order = distinct(data.map((d) => d.category));
  const groups = distinct(data.map((d) => d.group));
  const grouped = groups.some((g) => g !== '');
  const y = { field: 'category', type: 'nominal', sort: order, title: options.categoryTitle ?? null } as const;
  const x = {
    field: 'estimate',
    type: 'quantitative',
    title: options.valueTitle,
    scale: options.domain ? { domain: options.domain } : { zero: false },
  } as const;
  const color = grouped
    ? { color: { field: 'group', type: 'nominal', title: options.groupTitle ?? null, scale: groupColorScale(groups) } }
    : {};
  const layers: object[] = [
    {
      mark: { type: 'rule', strokeWidth: 2, ...(grouped ? {} : { color: '#4c78a8' }) },
      encoding: { y, x: { ...x, field: 'lower' }, x2: { field: 'upper' }, ...color },
    },
    {
      mark: { type: 'point', filled: true, size: 60 },
      encoding: {
        y,
        x,
        ...color,
        tooltip: [
          { field: 'category', type: 'nominal' },
          { field: 'estimate', type: 'quantitative', format: '.3f' },
          { field: 'lower', type: 'quantitative', format: '.3f' },
          { field: 'upper', type: 'quantitative', format: '.3f' },
        ],
      },
    },
  ];
  if (options.reference)
    layers.push({
      data: { values: [{ value: options.reference.value, label: options.reference.label }] },
      mark: { type: 'rule', strokeDash: [4, 4], color: '#888' },
      encoding: { x: { field: 'value', type: 'quantitative' } },
    });
  return {
    ...frameProperties(options, { width: 420, height: Math.max(60, 22 * order.length) }),
    data: { values: data },
    layer: layers,
  } as PlotSpec;
}
