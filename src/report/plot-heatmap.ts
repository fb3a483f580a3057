// Heat map of a 2-D grid: mask location density over the image (numeric cells laid out in image
// coordinates, row 0 at the top) or a table of counts between two categorical axes (confusion matrix).
import { frameProperties, type ChartFrame, type PlotSpec } from './plot.js';

export interface HeatMapOptions extends ChartFrame {
  /** Row-major values, `rows * columns` of them. */
  grid: ArrayLike<number>;
  rows: number;
  columns: number;
  xTitle: string;
  yTitle: string;
  valueTitle: string;
  /** Categorical axes: one label per column / row (e.g. predicted / true class). */
  xLabels?: readonly string[];
  yLabels?: readonly string[];
  /** Numeric axes: the range the grid covers, e.g. [0, 1024] pixels. Default one unit per cell. */
  xExtent?: [number, number];
  yExtent?: [number, number];
  /** Write each cell's value in it (small grids only). */
  showValues?: boolean;
  valueFormat?: string;
  /** A Vega colour scheme name, default 'viridis' (perceptually even, readable in grey). */
  scheme?: string;
}

export class HeatMapError extends Error {
  override name = 'HeatMapError';
}

export function heatMap(options: HeatMapOptions): PlotSpec {
  const { grid, rows, columns } = options;
  if (grid.length !== rows * columns)
    throw new HeatMapError(
      `heat map "${options.title}": grid holds ${grid.length} values, expected ${rows}x${columns}`,
    );
  if (options.xLabels && options.xLabels.length !== columns)
    throw new HeatMapError(`heat map "${options.title}": ${options.xLabels.length} x labels for ${columns} columns`);
  if (options.yLabels && options.yLabels.length !== rows)
    throw new HeatMapError(`heat map "${options.title}": ${options.yLabels.length} y labels for ${rows} rows`);
  const categorical = Boolean(options.xLabels || options.yLabels);
  const [x0, x1] = options.xExtent ?? [0, columns];
  const [y0, y1] = options.yExtent ?? [0, rows];
  const cellWidth = (x1 - x0) / columns;
  const cellHeight = (y1 - y0) / rows;

  const cells = [];
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < columns; c++) {
      const value = grid[r * columns + c];
      if (categorical)
        cells.push({ xLabel: options.xLabels?.[c] ?? String(c), yLabel: options.yLabels?.[r] ?? String(r), value });
      else
        cells.push({
          x: x0 + c * cellWidth,
          x2: x0 + (c + 1) * cellWidth,
          y: y0 + r * cellHeight,
          y2: y0 + (r + 1) * cellHeight,
          value,
        });
    }
  }
  const color = {
    field: 'value',
    type: 'quantitative',
    title: options.valueTitle,
    scale: { scheme: options.scheme ?? 'viridis' },
    ...(options.valueFormat ? { legend: { format: options.valueFormat } } : {}),
  };
  const tooltipValue = {
    field: 'value',
    title: options.valueTitle,
    ...(options.valueFormat ? { format: options.valueFormat } : {}),
  };

  if (categorical) {
    const xAxis = {
      field: 'xLabel',
      type: 'ordinal',
      title: options.xTitle,
      sort: options.xLabels ? [...options.xLabels] : null,
      axis: { labelAngle: 0, orient: 'top' },
    };
    const yAxis = {
      field: 'yLabel',
      type: 'ordinal',
      title: options.yTitle,
      sort: options.yLabels ? [...options.yLabels] : null,
    };
    const layers: unknown[] = [
      {
        mark: 'rect',
        encoding: {
          x: xAxis,
          y: yAxis,
          color,
          tooltip: [
            { field: 'yLabel', title: options.yTitle },
            { field: 'xLabel', title: options.xTitle },
            tooltipValue,
          ],
        },
      },
    ];
    if (options.showValues) {
      layers.push({
        mark: { type: 'text', fontSize: 14 },
        encoding: {
          x: xAxis,
          y: yAxis,
          text: {
            field: 'value',
            type: 'quantitative',
            ...(options.valueFormat ? { format: options.valueFormat } : {}),
          },
          // Text must stay readable on both ends of the colour scale.
          color: { condition: { test: 'datum.value > 0.5 * datum.maxValue', value: 'black' }, value: 'white' },
        },
      });
    }
    return {
      ...frameProperties(options, { width: Math.max(160, columns * 80), height: Math.max(120, rows * 60) }),
      data: { values: cells },
      transform: [{ joinaggregate: [{ op: 'max', field: 'value', as: 'maxValue' }] }],
      layer: layers,
    } as PlotSpec;
  }

  const aspect = (y1 - y0) / (x1 - x0);
  const width = options.width ?? 320;
  return {
    ...frameProperties(options, { width, height: Math.round(width * aspect) }),
    data: { values: cells },
    // Thousands of cells: per-cell screen-reader labels would make the SVG megabytes long.
    mark: { type: 'rect', aria: false },
    encoding: {
      x: {
        field: 'x',
        type: 'quantitative',
        title: options.xTitle,
        scale: { domain: [x0, x1], nice: false, zero: false },
      },
      x2: { field: 'x2' },
      // Image convention: the first row is at the top.
      y: {
        field: 'y',
        type: 'quantitative',
        title: options.yTitle,
        scale: { domain: [y0, y1], reverse: true, nice: false, zero: false },
      },
      y2: { field: 'y2' },
      color,
      tooltip: [
        { field: 'x', title: `${options.xTitle} from` },
        { field: 'y', title: `${options.yTitle} from` },
        tooltipValue,
      ],
    },
  } as PlotSpec;
}
