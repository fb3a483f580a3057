// Bar chart of counts per category, optionally split by a group (e.g. class): side by side, stacked, or
// stacked to 100% so that groups of very different sizes can be compared.
import { distinct, frameProperties, type ChartFrame, type PlotSpec } from './plot.js';
import { groupColorEncoding } from './plot-group-color.js';

export interface BarDatum {
  category: string;
  value: number;
  group?: string;
}

export interface BarChartOptions extends ChartFrame {
  data: readonly BarDatum[];
  categoryTitle: string;
  valueTitle: string;
  groupTitle?: string;
  /** How groups share a category; ignored without groups. Default 'grouped'. */
  layout?: 'grouped' | 'stacked' | 'normalized';
  /** Bars along the y axis: better for many or long category names. */
  horizontal?: boolean;
  /** Category order; default the order of first appearance in `data`. */
  categoryOrder?: readonly string[];
  groupOrder?: readonly string[];
  groupColors?: Record<string, string>;
  /** Print each bar's value at its end (not for stacked layouts). */
  showValues?: boolean;
  /** d3 format of the value axis and labels, e.g. 'd' for counts, '.0%' for shares. */
  valueFormat?: string;
}

export function barChart(options: BarChartOptions): PlotSpec {
  const data = options.data.map((d) => ({ category: d.category, value: d.value, group: d.group ?? '' }));
  const grouped = data.some((d) => d.group !== '');
  const layout = grouped ? (options.layout ?? 'grouped') : 'grouped';
  const categoryOrder = options.categoryOrder ?? distinct(data.map((d) => d.category));
  const groupOrder = options.groupOrder ?? distinct(data.map((d) => d.group));
  const integerValues = data.every((d) => Number.isInteger(d.value));
  const format = options.valueFormat ?? (layout === 'normalized' ? '.0%' : integerValues ? 'd' : undefined);

  const category = {
    field: 'category',
    type: 'nominal',
    title: options.categoryTitle,
    sort: [...categoryOrder],
    axis: { labelAngle: 0, labelLimit: 160 },
  };
  const value = {
    field: 'value',
    type: 'quantitative',
    title: options.valueTitle,
    ...(layout === 'grouped' ? {} : { stack: layout === 'normalized' ? 'normalize' : 'zero' }),
    axis: { ...(format ? { format } : {}), ...(integerValues && layout !== 'normalized' ? { tickMinStep: 1 } : {}) },
  };
  const [along, across] = options.horizontal ? (['y', 'x'] as const) : (['x', 'y'] as const);
  const encoding: Record<string, unknown> = {
    [along]: category,
    [across]: value,
    tooltip: [
      { field: 'category', title: options.categoryTitle },
      ...(grouped ? [{ field: 'group', title: options.groupTitle ?? 'group' }] : []),
      { field: 'value', title: options.valueTitle, ...(format ? { format } : {}) },
    ],
  };
  if (grouped) {
    encoding.color = groupColorEncoding('group', options.groupTitle ?? null, groupOrder, options.groupColors);
    if (layout === 'grouped') encoding[`${along}Offset`] = { field: 'group', sort: [...groupOrder] };
  }

  const bars = { mark: { type: 'bar' }, encoding };
  const layers: unknown[] = [bars];
  if (options.showValues && layout === 'grouped') {
    layers.push({
      mark: options.horizontal
        ? { type: 'text', align: 'left', dx: 3, fontSize: 11 }
        : { type: 'text', baseline: 'bottom', dy: -2, fontSize: 11 },
      encoding: {
        [along]: category,
        [across]: { field: 'value', type: 'quantitative' },
        ...(grouped ? { [`${along}Offset`]: { field: 'group', sort: [...groupOrder] } } : {}),
        text: { field: 'value', type: 'quantitative', ...(format ? { format } : {}) },
      },
    });
  }
  const size = options.horizontal
    ? { width: 420, height: Math.max(120, categoryOrder.length * (grouped ? 34 : 22)) }
    : { width: Math.max(260, categoryOrder.length * (grouped ? 60 : 36)), height: 260 };
  return { ...frameProperties(options, size), data: { values: data }, layer: layers } as PlotSpec;
}
