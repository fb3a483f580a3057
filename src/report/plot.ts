// Rendering of Vega-Lite specs, headless: Vega-Lite compiles the grammar to a Vega spec, a Vega view
// with no renderer draws it to SVG, and sharp (librsvg) rasterises the SVG to PNG. The chart helpers
// (plot-bar, plot-histogram, plot-line, plot-heatmap) only build specs; anything not covered by them
// can be written as a plain Vega-Lite spec and saved the same way.
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { TopLevelSpec, Config } from 'vega-lite';

export type PlotSpec = TopLevelSpec;

/** Where `savePlot` wrote a chart. */
export interface SavedPlot {
  svg: string;
  png: string;
}

export class PlotError extends Error {
  override name = 'PlotError';
}

// One look for every chart pneumo draws. DejaVu Sans is named explicitly because it is the font that
// setup installs; librsvg would otherwise pick whatever fontconfig maps "sans-serif" to.
export const PLOT_FONT = 'DejaVu Sans';
export const PLOT_CONFIG: Config = {
  font: PLOT_FONT,
  background: 'white',
  padding: 8,
  title: { fontSize: 15, anchor: 'start', offset: 10, subtitleFontSize: 12, subtitleColor: '#555' },
  axis: { labelFontSize: 12, titleFontSize: 13, titlePadding: 8, labelLimit: 180 },
  legend: { labelFontSize: 12, titleFontSize: 12, labelLimit: 200 },
  view: { stroke: '#ccc' },
  range: { category: ['#4c78a8', '#e45756', '#72b7b2', '#f58518', '#54a24b', '#b279a2', '#9d755d', '#bab0ac'] },
};

/** Colours for the two classes, fixed so that positive is the same red in every chart and report. */
export const CLASS_COLORS: Record<string, string> = { negative: '#4c78a8', positive: '#e45756', unlabelled: '#bab0ac' };

/** Renders a Vega-Lite spec to an SVG document (the spec's own config wins over PLOT_CONFIG). */
export async function renderSvg(spec: PlotSpec): Promise<string> {
  const vega = await import('vega');
  const { compile } = await import('vega-lite');
  let view: import('vega').View | undefined;
  try {
    const compiled = compile(spec, { config: PLOT_CONFIG }).spec;
    view = new vega.View(vega.parse(compiled), { renderer: 'none' });
    return await view.toSVG();
  } catch (err) {
    throw new PlotError(`cannot render chart "${titleOf(spec)}": ${err instanceof Error ? err.message : String(err)}`);
  } finally {
    view?.finalize();
  }
}

/** Rasterises an SVG document; `scale` 2 gives a sharp image on high-density screens and in print. */
export async function svgToPng(svg: string, scale = 2): Promise<Buffer> {
  const sharp = (await import('sharp')).default;
  return sharp(Buffer.from(svg), { density: 72 * scale })
    .png()
    .toBuffer();
}

/** Writes `dir/name.svg` and `dir/name.png` (creating `dir`) and returns their paths. */
export async function savePlot(
  spec: PlotSpec,
  dir: string,
  name: string,
  options: { scale?: number } = {},
): Promise<SavedPlot> {
  if (!/^[\w.-]+$/.test(name))
    throw new PlotError(`plot name "${name}" must be a plain file name (letters, digits, _ . -)`);
  const svg = await renderSvg(spec);
  const png = await svgToPng(svg, options.scale ?? 2);
  await mkdir(dir, { recursive: true });
  const saved = { svg: path.join(dir, `${name}.svg`), png: path.join(dir, `${name}.png`) };
  await Promise.all([writeFile(saved.svg, svg), writeFile(saved.png, png)]);
  return saved;
}

function titleOf(spec: PlotSpec): string {
  const title = (spec as { title?: unknown }).title;
  if (typeof title === 'string') return title;
  if (title && typeof title === 'object' && 'text' in title) return String((title as { text: unknown }).text);
  return 'untitled';
}

/** What every chart helper takes besides its data: a title (required: a chart says what it shows) and size. */
export interface ChartFrame {
  title: string;
  subtitle?: string;
  /** Plot area in CSS pixels (legend and axes come on top). */
  width?: number;
  height?: number;
}

/** The top-level properties shared by the chart helpers' specs. */
export function frameProperties(frame: ChartFrame, defaults: { width: number; height: number }) {
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: frame.subtitle ? { text: frame.title, subtitle: frame.subtitle } : frame.title,
    width: frame.width ?? defaults.width,
    height: frame.height ?? defaults.height,
  } as const;
}

/** A colour scale over named groups: known class names get CLASS_COLORS, others the palette. */
export function groupColorScale(groups: readonly string[], colors: Record<string, string> = CLASS_COLORS) {
  if (groups.every((g) => g in colors)) return { domain: [...groups], range: groups.map((g) => colors[g]) };
  return { domain: [...groups] };
}

/** Distinct values in first-seen order, so that callers control category order by the order of their data. */
export function distinct(values: Iterable<string>): string[] {
  return [...new Set(values)];
}
