// Line chart of one or more curves: training and validation loss per epoch, ROC and precision-recall
// curves, metrics against a threshold. Points are joined in the order given (a ROC curve is not a
// function of x), so callers pass each curve already ordered.
import { distinct, frameProperties, type ChartFrame, type PlotSpec } from './plot.js';
import { groupColorEncoding } from './plot-group-color.js';

export interface LinePoint {
  x: number;
  y: number;
  series?: string;
}

export interface LineChartOptions extends ChartFrame {
  points: readonly LinePoint[];
  xTitle: string;
  yTitle: string;
  seriesTitle?: string;
  seriesOrder?: readonly string[];
  seriesColors?: Record<string, string>;
  xDomain?: [number, number];
  yDomain?: [number, number];
  logX?: boolean;
  logY?: boolean;
  /** Draw a dot at each point (useful for few points, e.g. epochs). */
  showPoints?: boolean;
  /** 'step-after' for empirical curves (ROC, PR), default 'linear'. */
  interpolate?: 'linear' | 'step-after' | 'monotone';
  /** A dashed reference segment, e.g. the chance diagonal of a ROC plot. */
  reference?: { from: [number, number]; to: [number, number]; label?: string };
  xFormat?: string;
  yFormat?: string;
}

export function lineChart(options: LineChartOptions): PlotSpec {
  const data = options.points
    .map((p, order) => ({ x: p.x, y: p.y, series: p.series ?? '', order }))
    .filter((p) => Number.isFinite(p.x) && Number.isFinite(p.y));
  const multiple = data.some((d) => d.series !== '');
  const seriesOrder = options.seriesOrder ?? distinct(data.map((d) => d.series));
  // A log scale never holds zero, and Vega-Lite warns on stderr when told `zero` for one.
  const scale = (domain: [number, number] | undefined, log: boolean | undefined) => ({
    ...(domain ? { domain } : log ? {} : { zero: false }),
    ...(log ? { type: 'log' } : {}),
  });
  const encoding: Record<string, unknown> = {
    x: {
      field: 'x',
      type: 'quantitative',
      title: options.xTitle,
      scale: scale(options.xDomain, options.logX),
      ...(options.xFormat ? { axis: { format: options.xFormat } } : {}),
    },
    y: {
      field: 'y',
      type: 'quantitative',
      title: options.yTitle,
      scale: scale(options.yDomain, options.logY),
      ...(options.yFormat ? { axis: { format: options.yFormat } } : {}),
    },
    order: { field: 'order', type: 'quantitative' },
    tooltip: [
      ...(multiple ? [{ field: 'series', title: options.seriesTitle ?? 'series' }] : []),
      { field: 'x', title: options.xTitle, ...(options.xFormat ? { format: options.xFormat } : {}) },
      { field: 'y', title: options.yTitle, ...(options.yFormat ? { format: options.yFormat } : {}) },
    ],
  };
  if (multiple) {
    encoding.color = groupColorEncoding('series', options.seriesTitle ?? null, seriesOrder, options.seriesColors);
  }
  const layers: unknown[] = [];
  if (options.reference) {
    const { from, to, label } = options.reference;
    layers.push({
      data: { values: [{ x: from[0], y: from[1], x2: to[0], y2: to[1], label: label ?? '' }] },
      mark: { type: 'rule', strokeDash: [5, 4], color: '#888' },
      encoding: {
        x: { field: 'x', type: 'quantitative' },
        y: { field: 'y', type: 'quantitative' },
        x2: { field: 'x2' },
        y2: { field: 'y2' },
      },
    });
  }
  layers.push({
    data: { values: data },
    mark: {
      type: 'line',
      interpolate: options.interpolate ?? 'linear',
      strokeWidth: 2,
      point: Boolean(options.showPoints),
    },
    encoding,
  });
  return { ...frameProperties(options, { width: 420, height: 280 }), layer: layers } as PlotSpec;
}
