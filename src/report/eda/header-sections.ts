// The EDA page's sections drawn from the DICOM headers: patients (sex, age), acquisition (view,
// modality, size, encoding, spacing) and how labels and image files match up.
import type { HtmlReport } from '../html.js';
import { CLASS_COLORS, type PlotSpec, type SavedPlot } from '../plot.js';
import { histogram } from '../plot-histogram.js';
import type { EdaResult } from './eda-result.js';
import {
  CLASSES,
  classBars,
  classTable,
  clip,
  clippedTable,
  countsTable,
  SUMMARY_COLUMNS,
  summaryRows,
} from './eda-tables.js';
import { AGE_BAND_WIDTH, IMPLAUSIBLE_AGE, type HeaderFacts } from './header-facts.js';

export interface HeaderPlots {
  sex: SavedPlot;
  age: SavedPlot | null;
  view: SavedPlot;
}

export async function plotHeaderFacts(
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

function ageFigures(report: HtmlReport, h: HeaderFacts, plots: HeaderPlots): void {
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
}

function ageWarnings(report: HtmlReport, h: HeaderFacts): void {
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
    clippedTable(report, h.age.implausible, { columns: ['image', 'age', 'class'] }, (a) => [a.imageId, a.age, a.label]);
  }
}

function patientsSection(report: HtmlReport, h: HeaderFacts, plots: HeaderPlots): void {
  report.section('Patients');
  report.table({ caption: 'Sex by class', ...classTable(h.sexByClass, 'sex') });
  report.plot(plots.sex, 'Images per sex and class.');
  ageFigures(report, h, plots);
  ageWarnings(report, h);
}

/** The acquisition tables: one caption and header field each. */
type CountField =
  'modality' | 'bodyPart' | 'imageSize' | 'photometricInterpretation' | 'transferSyntax' | 'pixelSpacing';
const ACQUISITION_COUNTS: readonly [caption: string, field: CountField, name: string][] = [
  ['Modality', 'modality', 'modality'],
  ['Body part examined', 'bodyPart', 'body part'],
  ['Image size (columns x rows)', 'imageSize', 'size'],
  ['Photometric interpretation', 'photometricInterpretation', 'photometric interpretation'],
  ['Transfer syntax', 'transferSyntax', 'transfer syntax'],
  ['Pixel spacing (mm, row x column)', 'pixelSpacing', 'pixel spacing'],
];

function acquisitionSection(report: HtmlReport, h: HeaderFacts, plots: HeaderPlots): void {
  report.section('Acquisition');
  report.table({ caption: 'View position by class', ...classTable(h.viewByClass, 'view') });
  report.plot(
    plots.view,
    'PA (posterior-anterior, standing) and AP (anterior-posterior, often bedside) views per class.',
  );
  for (const [caption, field, name] of ACQUISITION_COUNTS) report.table({ caption, ...countsTable(h[field], name) });
}

function labelsAndImagesSection(report: HtmlReport, h: HeaderFacts): void {
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

/** The sections drawn from the headers, in page order. */
export function writeHeaderSections(report: HtmlReport, h: HeaderFacts, plots: HeaderPlots): void {
  patientsSection(report, h, plots);
  acquisitionSection(report, h, plots);
  labelsAndImagesSection(report, h);
}
