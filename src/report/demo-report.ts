// DIR/index.html of `pneumo demo`: the headline numbers first (measured on the independent test set),
// whether the run met its targets, said plainly, then links to every report, plot, gallery and
// prediction the run made.
import { writeStudySections } from './study-report.js';
import { recipeSection, trainingSection } from './recipe-sections.js';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { HtmlReport, type HeadlineFigure } from './html.js';
import type { SubgroupFigures } from '../evaluate/subgroups.js';
import type { DatasetItem } from '../data/dataset.js';
import type { TrainedRunSummary } from './fit-summary.js';
import type { PredictionRecord } from '../pipeline/predict-files.js';
import { notAssessedText } from '../pipeline/gate-rules.js';
import type { DemoResult } from './demo-summary.js';
import { decodeRle, decodeRleRows, SIIM_SIZE } from '../data/rle.js';
import { readImage } from '../data/image-io.js';
import { readLabelCsv } from '../data/labels.js';
import { writeThumbnail } from '../evaluate/gallery.js';

/** A training run with the curve plots the demo drew for it. */
export type TrainedRun = TrainedRunSummary;

const fmt = (v: number | null | undefined, digits = 3) => (v === null || v === undefined ? 'n/a' : v.toFixed(digits));
const percent = (share: number) => `${Math.round(share * 100)}%`;

async function readPredictions(file: string): Promise<PredictionRecord[]> {
  try {
    const text = await readFile(file, 'utf8');
    return text
      .split('\n')
      .filter((l) => l.trim() !== '')
      .map((l) => JSON.parse(l) as PredictionRecord);
  } catch {
    return [];
  }
}

function predictionGallery(
  report: HtmlReport,
  folder: string,
  records: readonly PredictionRecord[],
  truth?: ReadonlyMap<string, 0 | 1>,
): void {
  for (const r of records) {
    if (r.overlay === null) continue;
    const label = truth?.has(r.id) ? (truth.get(r.id) === 1 ? 'truth: pneumothorax' : 'truth: none') : null;
    const area = r.decision ? `, ${r.area.cm2 !== null ? `${r.area.cm2.toFixed(1)} cm²` : `${r.area.pixels} px`}` : '';
    const said =
      r.status === 'not-assessed' || r.probability === null
        ? notAssessedText(r.gate.reasons)
        : `${r.decision ? 'POSITIVE' : 'negative'} p=${r.probability.toFixed(3)}${r.calibrated ? ' (calibrated)' : ''}${area}`;
    report.image(path.join(folder, r.overlay), {
      caption: `${said}${label ? ` (${label})` : ''}`,
      alt: `overlay of ${r.id}`,
      link: path.join(folder, r.overlay),
      width: 240,
    });
  }
}

/**
 * The real SIIM films with their truth (blue) and the prediction (red) drawn together, as thumbnails
 * under FOLDER/gallery/truth/, so that a reader sees where the labelled pneumothorax is.
 */
async function truthGallery(
  report: HtmlReport,
  folder: string,
  relFolder: string,
  records: readonly PredictionRecord[],
  labelsFile: string,
): Promise<void> {
  const labels = await readLabelCsv(labelsFile);
  for (const r of records) {
    if (r.overlay === null) continue;
    const rows = labels.images.get(r.id);
    const image = await readImage(r.file);
    const truth = rows
      ? decodeRleRows(
          rows.map((row) => row.encodedPixels),
          r.width,
          r.height,
          r.id,
        )
      : null;
    const truthPositive = truth !== null && truth.data.some((v) => v === 1);
    const predicted = r.decision ? decodeRle(r.rle, r.width, r.height, r.id) : null;
    const thumbnail = await writeThumbnail(folder, 'truth', r.id, image, truthPositive ? truth : null, predicted);
    const said = rows ? (truthPositive ? 'truth: pneumothorax (blue)' : 'truth: none') : 'no label';
    report.image(path.join(relFolder, thumbnail), {
      caption:
        r.status === 'not-assessed' || r.probability === null
          ? `${notAssessedText(r.gate.reasons)}, ${said}`
          : `${r.decision ? 'POSITIVE (red)' : 'negative'} p=${r.probability.toFixed(3)}, ${said}`,
      alt: `${r.id} with its truth and predicted masks`,
      link: path.join(relFolder, r.overlay),
      width: 240,
    });
  }
}

/** The trained runs the demo drew curves for, and the test images shown with their labels. */
export interface DemoRuns {
  segmenter: TrainedRun;
  classifier: TrainedRun;
  chosen: readonly DatasetItem[];
}

/** What every section reads: the demo's result and runs, the report, and paths relative to DIR. */
interface DemoPage {
  result: DemoResult;
  runs: DemoRuns;
  report: HtmlReport;
  rel(file: string): string;
}

type DemoSection = (page: DemoPage) => Promise<void> | void;

function headlineFigures(result: DemoResult): HeadlineFigure[] {
  const h = result.headline;
  return [
    { label: 'classifier ROC AUC', value: fmt(h.rocAuc), note: `PR AUC ${fmt(h.prAuc)}` },
    { label: 'chosen threshold', value: fmt(h.threshold, 2), note: 'classifier probability' },
    {
      label: 'pipeline recall (sensitivity)',
      value: fmt(h.pipeline.recall),
      note: `classifier alone ${fmt(h.classifier.recall)}`,
    },
    {
      label: 'pipeline specificity',
      value: fmt(h.pipeline.specificity),
      note: `classifier alone ${fmt(h.classifier.specificity)}`,
    },
    { label: 'Dice on positives, segmenter alone', value: fmt(h.dicePositive.segmenter), note: 'per image' },
    {
      label: 'Dice on positives, pipeline',
      value: fmt(h.dicePositive.pipeline),
      note: 'an image the pipeline misses scores 0',
    },
    { label: 'pipeline SIIM score', value: fmt(h.siimScore), note: `all-empty baseline ${fmt(h.allEmptyScore)}` },
    { label: 'demo time', value: `${(result.seconds.total / 60).toFixed(1)} min` },
    {
      label: 'prediction',
      value: `${result.prediction.secondsPerImage.toFixed(2)} s/image`,
      note: `${result.plan.imageSide}² DICOM, both stages, overlay written`,
    },
  ];
}

/** The headline figures and the operating points they were measured at. */
function headlineSection({ result, report }: DemoPage): void {
  report.section('Headline (independent test set, bundle thresholds chosen on validation)');
  report.headlines(headlineFigures(result));
  report.paragraph(
    `Operating point: ${result.headline.thresholdObjective}. Thresholds in the bundle: classifier ${result.thresholds.classifier}, pixel ${result.thresholds.pixel}, minimum area ${result.thresholds.minArea} px (counted at ${SIIM_SIZE}², the SIIM image size).` +
      result.testStudy.namedPoints
        .filter((p) => p.name !== 'siim')
        .map(
          (p) =>
            ` At the ${p.name} point (classifier ${p.thresholds.classifier}, pixel ${p.thresholds.pixel}, minimum area ${p.thresholds.minArea}), which serve and the worklist use: ` +
            `pipeline recall ${fmt(p.pipeline.sensitivity.estimate)}, specificity ${fmt(p.pipeline.specificity.estimate)} (both points side by side below).`,
        )
        .join(''),
  );
}

/** Whether the run met its targets, said plainly, and what the figures are not. */
function targetsSection({ result, report }: DemoPage): void {
  if (result.targets.length > 0) {
    const missed = result.targets.filter((t) => !t.met);
    if (missed.length === 0)
      report.note(
        'The run met every target of the demo: ' +
          result.targets.map((t) => `${t.name} ${t.value} (${t.target})`).join('; ') +
          '.',
      );
    else
      report.note(
        `The run did NOT meet ${missed.length} of its targets: ` +
          missed.map((t) => `${t.name} is ${t.value}, the target is ${t.target}`).join('; ') +
          '. The numbers above are what the models reached; nothing was adjusted to hide it.',
        'warning',
      );
    report.table({
      columns: ['target', 'required', 'reached', 'met'],
      rows: result.targets.map((t) => [t.name, t.target, t.value, t.met ? 'yes' : 'NO']),
    });
  } else {
    report.note(`Size ${result.plan.size} is a smoke run: its numbers carry no claim.`, 'warning');
  }
  report.note(
    'All models here were trained on synthetic radiographs. Their outputs on real X-rays (the SIIM sample below) show that the pipeline runs end to end on real DICOMs; they are not a diagnosis and are not expected to be accurate.',
    'warning',
  );
}

const GROUP_COLUMNS = [
  'test images',
  'images',
  'positives',
  'classifier ROC AUC',
  'classifier recall',
  'pipeline recall',
  'pipeline specificity',
  'Dice on positives, segmenter',
  'Dice on positives, pipeline',
];

const groupRows = (groups: readonly SubgroupFigures[]) =>
  groups.map((g) => [
    g.name,
    g.images,
    g.positives,
    fmt(g.rocAuc),
    fmt(g.classifierRecall),
    fmt(g.pipelineRecall),
    fmt(g.pipelineSpecificity),
    fmt(g.dicePositive.segmenter),
    fmt(g.dicePositive.pipeline),
  ]);

function drainsSection({ result, report }: DemoPage): void {
  const { train, test } = result.plan.tubeRates;
  report.section('Shortcut test: chest drains');
  report.paragraph(
    `Chest drains come mostly with treated pneumothoraces. The training set has a drain on ${percent(train.positive)} of positives and ${percent(train.negative)} of negatives; ` +
      `the test set reverses that (${percent(test.positive)} of positives, ${percent(test.negative)} of negatives). ` +
      'A classifier that learned the drain instead of the finding scores low on the images with a drain.',
  );
  report.table({ columns: GROUP_COLUMNS, rows: groupRows(result.subgroups.tubes) });
}

function sizeBandsSection({ result, report }: DemoPage): void {
  report.section('By mask size (SIIM-ACR quartile edges)');
  report.table({
    columns: GROUP_COLUMNS,
    rows: groupRows(result.subgroups.sizeBands),
    caption:
      "Each band's positives with every negative, at the bundle's thresholds. A quarter of real SIIM-ACR pneumothoraces are below 0.4% of the image, half between 0.4% and 1.8%.",
  });
}

/** The same clinical-study sections as the test evaluation's own report, drawn into its plot folder. */
async function studySections({ result, report }: DemoPage): Promise<void> {
  await writeStudySections(report, result.testStudy, path.join(result.out, 'evaluation', 'test', 'plots'));
}

function recipe({ result, report }: DemoPage): void {
  recipeSection(
    report,
    result.plan,
    result.precision,
    'The segmenter trains on positive images; the classifier starts from it (a U-Net: whole; a pooled classifier: its encoder) on balanced epochs. src/fit/fit-plan.ts says why.',
  );
}

function validationSection({ result, report }: DemoPage): void {
  report.section('Validation split (where the thresholds were chosen)');
  report.table({
    columns: [
      'ROC AUC',
      'Dice on positives (segmenter alone)',
      'pipeline SIIM score at the chosen thresholds',
      'threshold sweep operating point',
    ],
    rows: [
      [
        fmt(result.validation.rocAuc),
        fmt(result.validation.dicePositive),
        fmt(result.validation.siimScore),
        result.validation.operatingPoint,
      ],
    ],
    caption: 'Optimistic by construction: the thresholds were tuned on these images. The headline uses the test set.',
  });
}

function reportsSection({ result, report, rel }: DemoPage): void {
  report.section('Reports');
  report.links([
    {
      href: rel(result.files.eda),
      text: 'Exploratory data analysis',
      note: 'labels, duplicates, sex, age, view, mask sizes and locations',
    },
    {
      href: rel(result.files.validationReport),
      text: 'Evaluation on the validation split',
      note: 'threshold sweep, ROC/PR, triplet search, galleries of errors',
    },
    {
      href: rel(result.files.testReport),
      text: 'Evaluation on the test set',
      note: "the frozen bundle on unseen images, galleries of errors (its operating-point section shows the threshold that would be best on these images, for reference; the headline above uses the bundle's)",
    },
    { href: rel(result.files.hardExamples), text: 'hard-examples.csv', note: 'for pneumo train --oversample' },
    {
      href: rel(path.join(result.files.bundle, 'bundle.json')),
      text: 'bundle.json',
      note: 'architectures, input size, normalisation, thresholds, provenance',
    },
    { href: 'demo.json', text: 'demo.json', note: 'every number on this page, machine-readable' },
  ]);
}

function training({ result, runs, report }: DemoPage): void {
  trainingSection(report, result.out, [
    ['segmenter', runs.segmenter],
    ['classifier', runs.classifier],
  ]);
}

async function syntheticPredictionsSection({ result, runs, report, rel }: DemoPage): Promise<void> {
  report.section('Two-stage prediction on test images');
  const truth = new Map(runs.chosen.map((i) => [i.imageId, i.label] as const));
  const syntheticFolder = path.dirname(result.files.syntheticPredictions);
  predictionGallery(report, rel(syntheticFolder), await readPredictions(result.files.syntheticPredictions), truth);
  report.links([
    { href: rel(result.files.syntheticPredictions), text: 'predictions.jsonl' },
    { href: rel(path.join(syntheticFolder, 'submission.csv')), text: 'submission.csv (SIIM format)' },
  ]);
}

async function siimSampleSection({ result, report, rel }: DemoPage): Promise<void> {
  const sample = result.siimSample;
  const predictions = result.files.siimSamplePredictions;
  if (!sample || !predictions) return;
  report.section('Real SIIM sample DICOMs (models trained on synthetic data)');
  report.paragraph(
    `${sample.images} real radiographs, ${sample.predictedPositive} called positive; SIIM score against their labels ${fmt(sample.score)} (${sample.positives} of the ${sample.images} are positive, so all-empty scores ${fmt(sample.allEmptyScore)}).`,
  );
  const folder = path.dirname(predictions);
  const records = await readPredictions(predictions);
  if (sample.labels) {
    report.paragraph('Truth in blue, prediction in red; each thumbnail links to the titled overlay.');
    await truthGallery(report, folder, rel(folder), records, sample.labels);
  } else predictionGallery(report, rel(folder), records);
}

function timingsSection({ result, report }: DemoPage): void {
  report.section('Timings');
  report.table({
    columns: ['stage', 'seconds'],
    rows: Object.entries(result.seconds).map(([stage, s]) => [stage, s.toFixed(1)]),
    caption: `Prediction: ${result.prediction.imagesPerSecond.toFixed(2)} images/s end to end (read, decode, both models, overlay PNG).`,
  });
}

function problemsSection({ result, report }: DemoPage): void {
  if (result.failures.length === 0) return;
  report.section('Problems');
  report.note(`${result.failures.length} item(s) failed and were left out:`, 'warning');
  report.list(result.failures);
}

/** The page, top to bottom. */
const SECTIONS: readonly DemoSection[] = [
  headlineSection,
  targetsSection,
  drainsSection,
  sizeBandsSection,
  studySections,
  recipe,
  validationSection,
  reportsSection,
  training,
  syntheticPredictionsSection,
  siimSampleSection,
  timingsSection,
  problemsSection,
];

export async function writeDemoReport(result: DemoResult, runs: DemoRuns): Promise<string> {
  const report = new HtmlReport('pneumo demo', {
    subtitle: `size ${result.plan.size}, seed ${result.seed}: synthetic SIIM-format data, ${result.plan.images} training/validation and ${result.plan.testImages} test images`,
  });
  const page: DemoPage = { result, runs, report, rel: (file) => path.relative(result.out, file) };
  for (const section of SECTIONS) await section(page);
  return report.write(path.join(result.out, 'index.html'));
}
