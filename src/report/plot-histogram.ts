// Histogram of a numeric quantity (ages, mask areas, probabilities, IoU), optionally one panel per group
// stacked vertically on a shared x axis (overlaid bars hide each other). Binning is Vega-Lite's; with
// `normalize` each group's bars are its share of that group, which is what compares two classes of
// very different sizes.
import { distinct, frameProperties, type ChartFrame, type PlotSpec } from './plot.js';
import { groupColorEncoding } from './plot-group-color.js';

export interface HistogramValue {
  value: number;
  group?: string;
}

export interface HistogramBins {
  /** Bin width; with `extent` it fixes the edges exactly (e.g. 10-year age bands). */
  step?: number;
  /** Upper bound on the number of bins when no step is given (Vega-Lite picks nice edges). */
  maxbins?: number;
  /** Range binned: [low, high]. */
  extent?: [number, number];
}

export interface HistogramOptions extends ChartFrame {
  values: readonly (number | HistogramValue)[];
  valueTitle: string;
  /** Default "Images" or, normalized, "Share of group". */
  countTitle?: string;
  bins?: HistogramBins;
  normalize?: boolean;
  groupTitle?: string;
  groupOrder?: readonly string[];
  groupColors?: Record<string, string>;
  /** d3 format of the value axis, e.g. '.0%' when values are shares. */
  valueFormat?: string;
}

export function histogram(options: HistogramOptions): PlotSpec {
  const data = options.values
    .map((v) => (typeof v === 'number' ? { value: v, group: '' } : { value: v.value, group: v.group ?? '' }))
    .filter((v) => Number.isFinite(v.value));
  const grouped = data.some((d) => d.group !== '');
  const groupOrder = options.groupOrder ?? distinct(data.map((d) => d.group));
  const step = options.bins?.step;
  const bin = {
    ...((step !== undefined) !== undefined ? { step } : { maxbins: options.bins?.maxbins ?? 30 }),
    ...(options.bins?.extent ? { extent: options.bins.extent } : {}),
  };
  const normalize = Boolean(options.normalize);
  const countTitle = options.countTitle ?? (normalize ? (grouped ? 'Share of group' : 'Share') : 'Images');
  const measure = normalize ? 'share' : 'count';

  const encoding: Record<string, unknown> = {
    x: {
      field: 'binStart',
      type: 'quantitative',
      bin: { binned: true, ...(step !== undefined ? { step } : {}) },
      title: options.valueTitle,
      ...(options.bins?.extent ? { scale: { domain: options.bins.extent, nice: false } } : {}),
      ...(options.valueFormat ? { axis: { format: options.valueFormat } } : {}),
    },
    x2: { field: 'binEnd' },
    y: {
      field: measure,
      type: 'quantitative',
      title: countTitle,
      axis: normalize ? { format: '.0%' } : { format: 'd', tickMinStep: 1 },
    },
    tooltip: [
      { field: 'binStart', title: 'from', ...(options.valueFormat ? { format: options.valueFormat } : {}) },
      { field: 'binEnd', title: 'to', ...(options.valueFormat ? { format: options.valueFormat } : {}) },
      ...(grouped ? [{ field: 'group', title: options.groupTitle ?? 'group' }] : []),
      { field: 'count', title: 'count' },
      { field: 'share', title: 'share', format: '.1%' },
    ],
  };
  if (grouped) {
    encoding.color = {
      ...groupColorEncoding('group', options.groupTitle ?? null, groupOrder, options.groupColors),
      legend: null,
    };
    encoding.row = {
      field: 'group',
      type: 'nominal',
      title: options.groupTitle ?? null,
      sort: [...groupOrder],
      header: { labelAngle: 0, labelAlign: 'left', labelFontSize: 12, labelFontWeight: 'bold', titleFontSize: 12 },
    };
  }

  return {
    ...frameProperties(options, { width: 420, height: grouped ? 130 : 240 }),
    data: { values: data },
    transform: [
      { bin, field: 'value', as: ['binStart', 'binEnd'] },
      { aggregate: [{ op: 'count', as: 'count' }], groupby: ['binStart', 'binEnd', 'group'] },
      { joinaggregate: [{ op: 'sum', field: 'count', as: 'groupTotal' }], groupby: ['group'] },
      { calculate: 'datum.count / datum.groupTotal', as: 'share' },
    ],
    mark: { type: 'bar', binSpacing: 1 },
    encoding,
  } as PlotSpec;
}
