// Writes the EDA's outputs into one folder: eda.json, metadata.csv, the plots (SVG + PNG) and an
// index.html that shows each plot beside the numbers it was drawn from.
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { HtmlReport, type Cell } from '../html.js';
import { CLASS_COLORS, savePlot, type PlotSpec, type SavedPlot } from '../plot.js';
import { barChart } from '../plot-bar.js';
import { heatMap } from '../plot-heatmap.js';
import { histogram } from '../plot-histogram.js';
import { lineChart } from '../plot-line.js';
import { edaJson, type EdaResult } from './eda-result.js';
import { AGE_BAND_WIDTH, IMPLAUSIBLE_AGE, type ClassCount, type HeaderFacts } from './header-facts.js';
import { formatMetadataCsv, metadataRows } from './metadata-csv.js';
import type { Summary } from './stats.js';

export interface EdaOutputs {
  json: string;
  csv: string;
  html: string;
  plots: Record<string, SavedPlot>;
}

const CLASSES = ['negative', 'positive'] as const;
/** Lists longer than this are cut in the HTML (the full lists are in eda.json). */
const LIST_LIMIT = 50;

function percent(share: number | null, digits = 1): string {
  return share === null ? 'n/a' : `${(share * 100).toFixed(digits)}%`;
}

function summaryRows(rows: [string, Summary | null][], scale = 1, digits = 1): Cell[][] {
  const f = (v: number) => Number((v * scale).toFixed(digits));
  return rows.map(([name, s]) =>
    s
      ? [name, s.count, f(s.min), f(s.p25), f(s.median), f(s.p75), f(s.max), f(s.mean)]
      : [name, 0, null, null, null, null, null, null],
  );
}
const SUMMARY_COLUMNS = ['', 'images', 'min', '25%', 'median', '75%', 'max', 'mean'];

function classTable(rows: readonly ClassCount[], name: string): { columns: string[]; rows: Cell[][] } {
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

function countsTable(counts: Record<string, number>, name: string): { columns: string[]; rows: Cell[][] } {
  return { columns: [name, 'images'], rows: Object.entries(counts) };
}

function classBars(rows: readonly ClassCount[], title: string, categoryTitle: string): PlotSpec {
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

/** Indented JSON with arrays of plain numbers on one line (the 4,096-cell mask map stays 64 lines, not 4,096). */
export function readableJson(value: unknown): string {
  return JSON.stringify(value, null, 2).replace(
    /\[\s*(-?[\d.e+-]+(?:,\s*-?[\d.e+-]+)*)\s*\]/g,
    (_, items: string) => `[${items.split(/,\s*/).join(', ')}]`,
  );
}

function clip<T>(items: readonly T[]): { shown: T[]; more: number } {
  return { shown: items.slice(0, LIST_LIMIT), more: Math.max(0, items.length - LIST_LIMIT) };
}

export async function writeEdaReport(result: EdaResult, outDir: string): Promise<EdaOutputs> {
  await mkdir(outDir, { recursive: true });
  const plotDir = path.join(outDir, 'plots');
  const { labels, headers } = result;
  const plots: Record<string, SavedPlot> = {};
  const plot = async (name: string, spec: PlotSpec) => (plots[name] = await savePlot(spec, plotDir, name));

  // Machine-readable outputs first: they are what other tools read.
  const json = path.join(outDir, 'eda.json');
  await writeFile(json, readableJson(edaJson(result)) + '\n');
  const csv = path.join(outDir, 'metadata.csv');
  const relativeTo = result.dataDir;
  const entries = relativeTo
    ? result.headerEntries.map((e) => ({ ...e, path: path.relative(relativeTo, e.path) }))
    : result.headerEntries;
  await writeFile(csv, formatMetadataCsv(metadataRows(result.images, entries)));

  const report = new HtmlReport('Exploratory data analysis', {
    subtitle: result.dataDir
      ? `Dataset ${result.dataDir} (labels ${path.basename(result.labelsFile)})`
      : `Labels ${result.labelsFile}`,
  });

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
  const problems = result.labelProblems.length + (headers ? headers.unreadable.length : 0);
  if (problems > 0)
    report.note(
      `${problems} problem${problems === 1 ? '' : 's'} found: see "Problems" below. Everything else was analysed.`,
      'warning',
    );
  report.links([
    { href: json, text: 'eda.json', note: 'every number on this page, machine-readable' },
    { href: csv, text: 'metadata.csv', note: 'one row per image: label, mask size, age, sex, view, ...' },
  ]);

  // Labels.
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
  await plot(
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
    plots['class-balance'],
    `${labels.positive} positive and ${labels.negative} negative images (${percent(labels.positiveRate)} positive).`,
  );
  if (labels.positive > 0) {
    await plot(
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
      plots['rows-per-positive-image'],
      'A positive image may carry several RLE rows (separate parts of the pneumothorax); they are OR-ed into one mask. Repeated rows are not counted.',
    );
    report.table({
      caption: 'Mask rows per positive image',
      columns: ['distinct mask rows', 'positive images'],
      rows: labels.rowsPerPositiveImage.map((r) => [r.maskRows, r.images]),
    });
  }

  // Masks.
  if (labels.maskPixels) {
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
    await plot(
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
      plots['mask-area'],
      'Share of the image covered by the mask, per positive image. Small masks are the hard cases for segmentation.',
    );
    const vsSiim = edaJson(result).maskShareVsSiim;
    if (vsSiim) {
      await plot(
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
        plots['mask-area-vs-siim'],
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
    const loc = labels.maskLocation;
    const size = loc.commonSize;
    await plot(
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
      plots['mask-location'],
      `Mask location density on a ${loc.gridSize}x${loc.gridSize} grid; the image's left is the patient's right (radiological convention).`,
    );
  }

  if (headers) writeHeaderSections(report, headers, await plotHeaderFacts(headers, result, plot));

  // Problems.
  const badFiles = headers?.unreadable ?? [];
  if (problems > 0 || (headers && headers.duplicateImageIds.length + headers.fileNameMismatches.length > 0)) {
    report.section('Problems');
    if (badFiles.length > 0) {
      const { shown, more } = clip(badFiles);
      report.table({
        caption: `Unreadable DICOM files (${badFiles.length})`,
        columns: ['file', 'reason'],
        rows: shown.map((f) => [relativeTo ? path.relative(relativeTo, f.path) : f.path, f.reason]),
      });
      if (more) report.paragraph(`... and ${more} more (all listed in eda.json).`);
    }
    if (result.labelProblems.length > 0) {
      const { shown, more } = clip(result.labelProblems);
      report.table({
        caption: `Label rows left out (${result.labelProblems.length})`,
        columns: ['line', 'image', 'reason'],
        rows: shown.map((p) => [p.line, p.imageId, p.reason]),
      });
      if (more) report.paragraph(`... and ${more} more (all listed in eda.json).`);
    }
    if (headers && headers.fileNameMismatches.length > 0) {
      const { shown, more } = clip(headers.fileNameMismatches);
      report.note(
        'These files are not named after their SOP Instance UID: training and evaluation find images by file name and will not match them to their labels.',
        'warning',
      );
      report.table({
        caption: `Files named other than their ImageId (${headers.fileNameMismatches.length})`,
        columns: ['file', 'ImageId in the header'],
        rows: shown.map((f) => [relativeTo ? path.relative(relativeTo, f.path) : f.path, f.imageId]),
      });
      if (more) report.paragraph(`... and ${more} more (all listed in eda.json).`);
    }
    if (headers && headers.duplicateImageIds.length > 0) {
      const { shown, more } = clip(headers.duplicateImageIds);
      report.table({
        caption: 'One ImageId in several files (the first file was used)',
        columns: ['image', 'files'],
        rows: shown.map((d) => [d.imageId, d.paths.join(', ')]),
      });
      if (more) report.paragraph(`... and ${more} more (all listed in eda.json).`);
    }
  }

  const html = await report.write(path.join(outDir, 'index.html'));
  return { json, csv, html, plots };
}

interface HeaderPlots {
  sex: SavedPlot;
  age: SavedPlot | null;
  view: SavedPlot;
}

function writeHeaderSections(report: HtmlReport, h: HeaderFacts, plots: HeaderPlots): void {
  report.section('Patients');
  report.table({ caption: 'Sex by class', ...classTable(h.sexByClass, 'sex') });
  report.plot(plots.sex, 'Images per sex and class.');
  report.table({
    caption: 'Age (years) by class',
    columns: SUMMARY_COLUMNS,
    rows: summaryRows([
      ['all', h.age.all],
      ['negative', h.age.negative],
      ['positive', h.age.positive],
    ]),
  });
  const unlabelled = h.age.bands.some((b) => b.unlabelled > 0);
  report.table({
    caption: `Age bands (${AGE_BAND_WIDTH} years)`,
    columns: ['age', 'negative', 'positive', ...(unlabelled ? ['unlabelled'] : [])],
    rows: h.age.bands.map((b) => [b.band, b.negative, b.positive, ...(unlabelled ? [b.unlabelled] : [])]),
  });
  if (plots.age)
    report.plot(
      plots.age,
      `Age distribution of each class as a share of the class, so that the smaller positive class compares fairly; ${h.age.implausible.length} implausible ages left out.`,
    );
  if (h.age.absences.length > 0) {
    report.note('Age ranges where one class has no case: a model is untested there.', 'warning');
    report.list(h.age.absences);
  }
  if (h.age.missing > 0)
    report.note(`${h.age.missing} image${h.age.missing === 1 ? ' has' : 's have'} no readable age.`);
  if (h.age.implausible.length > 0) {
    report.note(
      `${h.age.implausible.length} implausible age${h.age.implausible.length === 1 ? '' : 's'} (over ${IMPLAUSIBLE_AGE}), left out of the age statistics:`,
      'warning',
    );
    const { shown, more } = clip(h.age.implausible);
    report.table({ columns: ['image', 'age', 'class'], rows: shown.map((a) => [a.imageId, a.age, a.label]) });
    if (more) report.paragraph(`... and ${more} more (all listed in eda.json).`);
  }

  report.section('Acquisition');
  report.table({ caption: 'View position by class', ...classTable(h.viewByClass, 'view') });
  report.plot(
    plots.view,
    'PA (posterior-anterior, standing) and AP (anterior-posterior, often bedside) views per class.',
  );
  report.table({ caption: 'Modality', ...countsTable(h.modality, 'modality') });
  report.table({ caption: 'Body part examined', ...countsTable(h.bodyPart, 'body part') });
  report.table({ caption: 'Image size (columns x rows)', ...countsTable(h.imageSize, 'size') });
  report.table({
    caption: 'Photometric interpretation',
    ...countsTable(h.photometricInterpretation, 'photometric interpretation'),
  });
  report.table({ caption: 'Transfer syntax', ...countsTable(h.transferSyntax, 'transfer syntax') });
  report.table({ caption: 'Pixel spacing (mm, row x column)', ...countsTable(h.pixelSpacing, 'pixel spacing') });

  report.section('Labels and images');
  report.table({
    columns: ['', 'count'],
    rows: [
      ['DICOM files found', h.files],
      ['readable', h.readable],
      ['unreadable', h.unreadable.length],
      ['images with no label row', h.imagesWithoutLabel.length],
      ['labelled images with no DICOM', h.labelsWithoutImage.length],
    ],
  });
  for (const [caption, ids] of [
    ['Images with no label row', h.imagesWithoutLabel],
    ['Labelled images with no DICOM', h.labelsWithoutImage],
  ] as const) {
    if (ids.length === 0) continue;
    const { shown, more } = clip(ids);
    report.paragraph(`${caption} (${ids.length}):`);
    report.list(more ? [...shown, `... and ${more} more (all listed in eda.json)`] : shown);
  }
}

async function plotHeaderFacts(
  h: HeaderFacts,
  result: EdaResult,
  plot: (name: string, spec: PlotSpec) => Promise<SavedPlot>,
): Promise<HeaderPlots> {
  const ages: { value: number; group: string }[] = [];
  for (const { header } of result.headerEntries) {
    const label = result.images.get(header.imageId);
    const age = header.patientAge;
    if (!label || age === null || !(age >= 0 && age <= IMPLAUSIBLE_AGE)) continue;
    ages.push({ value: age, group: label.positive ? 'positive' : 'negative' });
  }
  const ageSpec = histogram({
    title: 'Age by class',
    subtitle: 'share of each class per 5-year band',
    values: ages,
    valueTitle: 'Age (years)',
    bins: { step: 5, extent: [0, IMPLAUSIBLE_AGE] },
    normalize: true,
    groupTitle: 'Class',
    groupOrder: CLASSES,
    groupColors: CLASS_COLORS,
  });
  return {
    sex: await plot('sex-by-class', classBars(h.sexByClass, 'Sex by class', 'Sex')),
    age: ages.length > 0 ? await plot('age-by-class', ageSpec) : null,
    view: await plot('view-by-class', classBars(h.viewByClass, 'View position by class', 'View position')),
  };
}
