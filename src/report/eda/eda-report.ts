// Writes the EDA's outputs into one folder: eda.json, metadata.csv, the plots (SVG + PNG) and an
// index.html that shows each plot beside the numbers it was drawn from. The page is a list of
// sections, each a small function of the page's context (header-sections.ts holds the DICOM ones).
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { HtmlReport, type Cell } from '../html.js';
import { savePlot, type PlotSpec, type SavedPlot } from '../plot.js';
import { barChart } from '../plot-bar.js';
import { heatMap } from '../plot-heatmap.js';
import { histogram } from '../plot-histogram.js';
import { lineChart } from '../plot-line.js';
import { edaJson, type EdaResult } from './eda-result.js';
import { CLASSES, clippedTable, percent, SUMMARY_COLUMNS, summaryRows } from './eda-tables.js';
import { plotHeaderFacts, writeHeaderSections } from './header-sections.js';
import { formatMetadataCsv, metadataRows } from './metadata-csv.js';

export interface EdaOutputs {
  json: string;
  csv: string;
  html: string;
  plots: Record<string, SavedPlot>;
}

/** What every section of the page reads: the result, the report, the plot writer and the file outputs. */
interface EdaPage {
  result: EdaResult;
  report: HtmlReport;
  plot: (name: string, spec: PlotSpec) => Promise<SavedPlot>;
  json: string;
  csv: string;
  /** Problems of the labels and unreadable files together. */
  problems: number;
}

type EdaSection = (page: EdaPage) => Promise<void> | void;

/** Indented JSON with arrays of plain numbers on one line (the 4,096-cell mask map stays 64 lines, not 4,096). */
export function readableJson(value: unknown): string {
  return JSON.stringify(value, null, 2).replace(
    /\[\s*(-?[\d.e+-]+(?:,\s*-?[\d.e+-]+)*)\s*\]/g,
    (_, items: string) => `[${items.split(/,\s*/).join(', ')}]`,
  );
}

/** A path as the page shows it: relative to the dataset folder when there is one. */
function shownPath(result: EdaResult, file: string): string {
  return result.dataDir ? path.relative(result.dataDir, file) : file;
}

/** eda.json and metadata.csv: the machine-readable outputs, written first because other tools read them. */
async function writeMachineOutputs(result: EdaResult, outDir: string): Promise<{ json: string; csv: string }> {
  const json = path.join(outDir, 'eda.json');
  await writeFile(json, readableJson(edaJson(result)) + '\n');
  const csv = path.join(outDir, 'metadata.csv');
  const entries = result.headerEntries.map((e) => ({ ...e, path: shownPath(result, e.path) }));
  await writeFile(csv, formatMetadataCsv(metadataRows(result.images, entries)));
  return { json, csv };
}

function overviewSection({ result, report, json, csv, problems }: EdaPage): void {
  const { labels, headers } = result;
  report
    .section('Overview')
    .headlines([
      { label: 'images', value: labels.images, note: `${labels.rows.toLocaleString('en-US')} label rows` },
      { label: 'positive', value: labels.positive, note: `${percent(labels.positiveRate)} of images` },
      { label: 'negative', value: labels.negative, note: `${percent(labels.negativeRate)} of images` },
      { label: 'duplicate rows', value: labels.duplicateRows, note: `in ${labels.imagesWithDuplicateRows} images` },
      ...(headers
        ? [{ label: 'DICOM files', value: headers.files, note: `${headers.unreadable.length} unreadable` }]
        : []),
    ]);
  if (problems > 0)
    report.note(
      `${problems} problem${problems === 1 ? '' : 's'} found: see "Problems" below. Everything else was analysed.`,
      'warning',
    );
  report.links([
    { href: json, text: 'eda.json', note: 'every number on this page, machine-readable' },
    { href: csv, text: 'metadata.csv', note: 'one row per image: label, mask size, age, sex, view, ...' },
  ]);
}

async function labelsSection(page: EdaPage): Promise<void> {
  const { result, report, plot } = page;
  const { labels } = result;
  report.section('Labels');
  report.table({
    caption: 'Label rows and classes',
    columns: ['', 'count', 'share'],
    rows: [
      ['label rows', labels.rows, null],
      ['unique images', labels.images, null],
      ['duplicate rows (repeat an earlier row)', labels.duplicateRows, null],
      ['images touched by duplicate rows', labels.imagesWithDuplicateRows, null],
      ['positive images', labels.positive, percent(labels.positiveRate)],
      ['negative images', labels.negative, percent(labels.negativeRate)],
      ['images with both -1 and mask rows', labels.mixedImages.length, null],
    ],
  });
  const balance = await plot(
    'class-balance',
    barChart({
      title: 'Images per class',
      data: CLASSES.map((c) => ({ category: c, value: labels[c] })),
      categoryTitle: 'Class',
      valueTitle: 'Images',
      showValues: true,
      width: 240,
    }),
  );
  report.plot(
    balance,
    `${labels.positive} positive and ${labels.negative} negative images (${percent(labels.positiveRate)} positive).`,
  );
  if (labels.positive > 0) await rowsPerPositiveImage(page);
}

async function rowsPerPositiveImage({ result, report, plot }: EdaPage): Promise<void> {
  const { labels } = result;
  const saved = await plot(
    'rows-per-positive-image',
    barChart({
      title: 'Mask rows per positive image',
      data: labels.rowsPerPositiveImage.map((r) => ({ category: String(r.maskRows), value: r.images })),
      categoryTitle: 'Distinct mask rows (parts)',
      valueTitle: 'Positive images',
      showValues: true,
    }),
  );
  report.plot(
    saved,
    'A positive image may carry several RLE rows (separate parts of the pneumothorax); they are OR-ed into one mask. Repeated rows are not counted.',
  );
  report.table({
    caption: 'Mask rows per positive image',
    columns: ['distinct mask rows', 'positive images'],
    rows: labels.rowsPerPositiveImage.map((r) => [r.maskRows, r.images]),
  });
}

async function maskSizeFigures({ result, report, plot }: EdaPage): Promise<void> {
  const { labels } = result;
  report.section('Masks');
  report.table({
    caption: 'Mask size per positive image',
    columns: SUMMARY_COLUMNS,
    rows: [
      ...summaryRows([['pixels', labels.maskPixels]], 1, 0),
      ...summaryRows([['share of image (%)', labels.maskShare]], 100, 3),
    ],
  });
  const shares = [...result.images.values()]
    .filter((l) => l.positive && l.maskShare !== null)
    .map((l) => (l.maskShare as number) * 100);
  const saved = await plot(
    'mask-area',
    histogram({
      title: 'Mask area',
      subtitle: 'positive images',
      values: shares,
      valueTitle: 'Mask area (% of image)',
      countTitle: 'Positive images',
      bins: { maxbins: 40 },
    }),
  );
  report.plot(
    saved,
    'Share of the image covered by the mask, per positive image. Small masks are the hard cases for segmentation.',
  );
}

async function maskSizeAgainstSiim({ result, report, plot }: EdaPage): Promise<void> {
  const vsSiim = edaJson(result).maskShareVsSiim;
  if (!vsSiim) return;
  const saved = await plot(
    'mask-area-vs-siim',
    lineChart({
      title: 'Mask area percentiles against SIIM-ACR',
      subtitle: `${vsSiim.images} positive images; SIIM-ACR: 2,669 positive images of its training labels`,
      points: vsSiim.percentiles.flatMap((p) => [
        { x: p.percentile, y: p.siim * 100, series: 'SIIM-ACR' },
        { x: p.percentile, y: p.dataset * 100, series: 'this dataset' },
      ]),
      xTitle: 'Percentile of positive images',
      yTitle: 'Mask area (% of image)',
      logY: true,
      showPoints: true,
      seriesTitle: 'data',
    }),
  );
  report.plot(
    saved,
    'Mask area at each percentile, this dataset beside the real SIIM-ACR training labels (log scale). ' +
      'A curve above SIIM-ACR means larger, easier masks than the real ones.',
  );
  report.table({
    caption: 'Mask area percentiles: this dataset and SIIM-ACR (% of image)',
    columns: ['percentile', 'SIIM-ACR', 'this dataset', 'ratio'],
    rows: vsSiim.percentiles.map((p) => [
      p.percentile,
      (p.siim * 100).toFixed(3),
      (p.dataset * 100).toFixed(3),
      p.ratio.toFixed(2),
    ]),
  });
  report.table({
    caption: 'Positive images per mask-size band and per number of rows: this dataset and SIIM-ACR',
    columns: ['', 'SIIM-ACR', 'this dataset'],
    rows: [
      ...vsSiim.bands.map((b): Cell[] => [b.band, percent(b.siim), percent(b.dataset)]),
      ...vsSiim.rows.map((r): Cell[] => [
        `${r.rows} row${r.rows === '1' ? '' : 's'}`,
        percent(r.siim),
        percent(r.dataset),
      ]),
    ],
  });
}

async function maskLocation({ result, report, plot }: EdaPage): Promise<void> {
  const loc = result.labels.maskLocation;
  const size = loc.commonSize;
  const saved = await plot(
    'mask-location',
    heatMap({
      title: 'Where masks fall',
      subtitle: `share of the ${loc.images} positive images whose mask touches each cell`,
      grid: loc.share,
      rows: loc.gridSize,
      columns: loc.gridSize,
      xExtent: [0, size ? size.width : 1],
      yExtent: [0, size ? size.height : 1],
      xTitle: size ? 'Column (pixels)' : 'Column (fraction of width)',
      yTitle: size ? 'Row (pixels)' : 'Row (fraction of height)',
      valueTitle: 'Share',
      valueFormat: '.0%',
    }),
  );
  report.plot(
    saved,
    `Mask location density on a ${loc.gridSize}x${loc.gridSize} grid; the image's left is the patient's right (radiological convention).`,
  );
}

async function masksSection(page: EdaPage): Promise<void> {
  if (!page.result.labels.maskPixels) return;
  await maskSizeFigures(page);
  await maskSizeAgainstSiim(page);
  await maskLocation(page);
}

async function headerSections({ result, report, plot }: EdaPage): Promise<void> {
  if (result.headers) writeHeaderSections(report, result.headers, await plotHeaderFacts(result.headers, result, plot));
}

function problemsSection({ result, report, problems }: EdaPage): void {
  const headers = result.headers;
  if (problems === 0 && !(headers && headers.duplicateImageIds.length + headers.fileNameMismatches.length > 0)) return;
  report.section('Problems');
  const badFiles = headers?.unreadable ?? [];
  if (badFiles.length > 0)
    clippedTable(
      report,
      badFiles,
      { caption: `Unreadable DICOM files (${badFiles.length})`, columns: ['file', 'reason'] },
      (f) => [shownPath(result, f.path), f.reason],
    );
  if (result.labelProblems.length > 0)
    clippedTable(
      report,
      result.labelProblems,
      { caption: `Label rows left out (${result.labelProblems.length})`, columns: ['line', 'image', 'reason'] },
      (p) => [p.line, p.imageId, p.reason],
    );
  if (headers && headers.fileNameMismatches.length > 0) {
    report.note(
      'These files are not named after their SOP Instance UID: training and evaluation find images by file name and will not match them to their labels.',
      'warning',
    );
    clippedTable(
      report,
      headers.fileNameMismatches,
      {
        caption: `Files named other than their ImageId (${headers.fileNameMismatches.length})`,
        columns: ['file', 'ImageId in the header'],
      },
      (f) => [shownPath(result, f.path), f.imageId],
    );
  }
  if (headers && headers.duplicateImageIds.length > 0)
    clippedTable(
      report,
      headers.duplicateImageIds,
      { caption: 'One ImageId in several files (the first file was used)', columns: ['image', 'files'] },
      (d) => [d.imageId, d.paths.join(', ')],
    );
}

/** The page, top to bottom. */
const SECTIONS: readonly EdaSection[] = [overviewSection, labelsSection, masksSection, headerSections, problemsSection];

export async function writeEdaReport(result: EdaResult, outDir: string): Promise<EdaOutputs> {
  await mkdir(outDir, { recursive: true });
  const plotDir = path.join(outDir, 'plots');
  const plots: Record<string, SavedPlot> = {};
  const plot = async (name: string, spec: PlotSpec) => (plots[name] = await savePlot(spec, plotDir, name));
  const { json, csv } = await writeMachineOutputs(result, outDir);
  const report = new HtmlReport('Exploratory data analysis', {
    subtitle: result.dataDir
      ? `Dataset ${result.dataDir} (labels ${path.basename(result.labelsFile)})`
      : `Labels ${result.labelsFile}`,
  });
  const problems = result.labelProblems.length + (result.headers ? result.headers.unreadable.length : 0);
  const page: EdaPage = { result, report, plot, json, csv, problems };
  for (const section of SECTIONS) await section(page);
  const html = await report.write(path.join(outDir, 'index.html'));
  return { json, csv, html, plots };
}
