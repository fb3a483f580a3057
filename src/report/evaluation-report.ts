// The evaluation report: OUT/index.html with the headline numbers, their intervals, operating points,
// calibration, subgroups and the shortcut probe (study-report.ts), the operating point and its
// objective, the threshold sweep, ROC and PR curves, the probability distributions per class, the
// segmenter's scores, the triplet search, and the error-analysis galleries; plots in OUT/plots as
// SVG and PNG. The page is a list of sections, each a small function of the result.
import path from 'node:path';
import type { EvaluationResult } from '../evaluate/evaluate-bundle.js';
import { HtmlReport } from './html.js';
import { CLASS_COLORS, savePlot, type PlotSpec } from './plot.js';
import { lineChart } from './plot-line.js';
import { histogram } from './plot-histogram.js';
import { heatMap } from './plot-heatmap.js';
import { writeStudySections } from './study-report.js';
import { ttaOn } from '../pipeline/tta.js';

const f4 = (v: number | null | undefined) => (v === null || v === undefined ? 'n/a' : v.toFixed(4));

/** What every section reads: the result, the report, the output folder and a plot writer. */
interface EvaluationPage {
  r: EvaluationResult;
  report: HtmlReport;
  out: string;
  /** OUT/plots. */
  plots: string;
  /** Saves a plot into OUT/plots and shows it. */
  plot(spec: PlotSpec, name: string): Promise<void>;
}

type EvaluationSection = (page: EvaluationPage) => Promise<void> | void;

async function bundleThresholdsSection(page: EvaluationPage): Promise<void> {
  const { r, report } = page;
  const b = r.atBundleThresholds;
  const t = b.thresholds;
  report.section("At the bundle's thresholds");
  report.headlines([
    { label: 'ROC AUC', value: f4(r.classifier.rocAuc), note: `PR AUC ${f4(r.classifier.prAuc)}` },
    { label: 'classifier threshold', value: String(t.classifier), note: "the bundle's, frozen" },
    { label: 'pipeline recall', value: f4(b.pipeline.recall), note: `classifier alone ${f4(b.classifier.recall)}` },
    {
      label: 'pipeline specificity',
      value: f4(b.pipeline.specificity),
      note: `classifier alone ${f4(b.classifier.specificity)}`,
    },
    { label: 'pipeline SIIM score', value: f4(b.siimScore) },
    { label: 'Dice on positives, segmenter alone', value: f4(b.dicePositive.segmenter) },
    { label: 'Dice on positives, pipeline', value: f4(b.dicePositive.pipeline), note: 'missed images score 0' },
  ]);
  report.paragraph(
    `${r.images} images (${r.positives} positive, ${r.negatives} negative)${ttaOn(r.tta) ? ', horizontal-flip test-time augmentation' : ''}. ` +
      `Thresholds from the bundle: classifier ${t.classifier}, pixel ${t.pixel}, minimum area ${t.minArea} px. ` +
      'The classifier alone calls an image positive when its probability reaches the threshold; the pipeline only when, in addition, a mask survives the pixel threshold and the minimum area.',
  );
  if (r.failures.length > 0)
    report.note(
      `${r.failures.length} image(s) could not be read and were left out: ${r.failures.map((f) => `${f.imageId} (${f.reason})`).join('; ')}`,
      'warning',
    );
  await stageFigures(page);
}

/** The classifier alone and the pipeline at the bundle's thresholds: counts, rates and the confusion matrix. */
async function stageFigures({ r, report, plot }: EvaluationPage): Promise<void> {
  const b = r.atBundleThresholds;
  const stages = [
    ['classifier alone', b.classifier],
    ['pipeline', b.pipeline],
  ] as const;
  report.table({
    columns: ['stage', 'TP', 'FP', 'TN', 'FN', 'recall', 'specificity', 'precision', 'F1'],
    rows: stages.map(([name, x]) => [
      name,
      x.truePositives,
      x.falsePositives,
      x.trueNegatives,
      x.falseNegatives,
      x.recall,
      x.specificity,
      x.precision,
      x.f1,
    ]),
  });
  const c = b.pipeline;
  await plot(
    heatMap({
      title: `Pipeline confusion matrix at the bundle's thresholds`,
      grid: [c.trueNegatives, c.falsePositives, c.falseNegatives, c.truePositives],
      rows: 2,
      columns: 2,
      xLabels: ['predicted negative', 'predicted positive'],
      yLabels: ['truly negative', 'truly positive'],
      xTitle: 'Prediction',
      yTitle: 'Truth',
      valueTitle: 'Images',
      showValues: true,
      width: 280,
      height: 200,
    }),
    'confusion-matrix',
  );
}

async function studySections({ r, report, plots }: EvaluationPage): Promise<void> {
  await writeStudySections(report, r.study, plots);
}

function tunedSection({ r, report }: EvaluationPage): void {
  const op = r.tunedOperatingPoint;
  report.section('Tuned on this set (optimistic bound)');
  report.paragraph(
    `The classifier threshold that would ${op.description} on these very images is ${op.threshold}. ` +
      'Chosen on the images it is reported on, it is an optimistic bound, not a measurement: on a validation split, ' +
      '`pneumo evaluate --write-bundle` freezes it into the bundle, and a test set is then measured at the frozen thresholds above.',
  );
  if (!op.constraintMet) report.note(`The recall floor could not be met: ${op.description}`, 'warning');
  report.table({
    columns: ['threshold', 'precision', 'recall', 'specificity', 'F1', 'accuracy', 'pipeline SIIM score'],
    rows: [
      [op.threshold, op.row.precision, op.row.recall, op.row.specificity, op.row.f1, op.row.accuracy, op.row.siimScore],
    ],
  });
}

async function sweepSection({ r, report, plot }: EvaluationPage): Promise<void> {
  report.section('Threshold sweep');
  const metrics: [string, keyof (typeof r.sweep)[number]][] = [
    ['precision', 'precision'],
    ['recall', 'recall'],
    ['specificity', 'specificity'],
    ['F1', 'f1'],
    ['SIIM score', 'siimScore'],
  ];
  const sweepPoints = metrics.flatMap(([series, key]) =>
    r.sweep.map((row) => ({ x: row.threshold, y: row[key] as number, series })),
  );
  await plot(
    lineChart({
      title: 'Classifier threshold sweep',
      subtitle: 'SIIM score of the whole pipeline: images below the threshold get an empty mask',
      points: sweepPoints.filter((p) => p.y !== null),
      xTitle: 'Classifier threshold',
      yTitle: 'Value',
      xDomain: [0, 1],
      yDomain: [0, 1],
      showPoints: true,
      width: 560,
      height: 320,
    }),
    'threshold-sweep',
  );
  report.table({
    columns: [
      'threshold',
      'TP',
      'FP',
      'TN',
      'FN',
      'precision',
      'recall',
      'specificity',
      'F1',
      'accuracy',
      'SIIM score',
    ],
    rows: r.sweep.map((s) => [
      s.threshold,
      s.truePositives,
      s.falsePositives,
      s.trueNegatives,
      s.falseNegatives,
      s.precision,
      s.recall,
      s.specificity,
      s.f1,
      s.accuracy,
      s.siimScore,
    ]),
  });
}

async function curvesSection({ r, report, plot }: EvaluationPage): Promise<void> {
  report.section('Classifier curves');
  await plot(
    lineChart({
      title: `ROC curve (AUC ${f4(r.classifier.rocAuc)})`,
      points: [{ x: 0, y: 0 }, ...r.classifier.roc.map((p) => ({ x: p.falsePositiveRate, y: p.truePositiveRate }))],
      xTitle: 'False positive rate',
      yTitle: 'True positive rate (recall)',
      xDomain: [0, 1],
      yDomain: [0, 1],
      reference: { from: [0, 0], to: [1, 1], label: 'chance' },
      width: 340,
      height: 300,
    }),
    'roc',
  );
  await plot(
    lineChart({
      title: `Precision-recall curve (average precision ${f4(r.classifier.prAuc)})`,
      points: r.classifier.pr.map((p) => ({ x: p.recall, y: p.precision })),
      xTitle: 'Recall',
      yTitle: 'Precision',
      xDomain: [0, 1],
      yDomain: [0, 1],
      width: 340,
      height: 300,
    }),
    'precision-recall',
  );
  await plot(
    histogram({
      title: 'Predicted probability per true class',
      subtitle: 'share of each class; overlap is where the classifier cannot separate them',
      values: r.perImage.map((p) => ({ value: p.probability, group: p.label === 1 ? 'positive' : 'negative' })),
      valueTitle: 'Classifier probability',
      bins: { step: 0.05, extent: [0, 1] },
      normalize: true,
      groupOrder: ['negative', 'positive'],
      groupColors: CLASS_COLORS,
      width: 520,
      height: 140,
    }),
    'probability-histogram',
  );
}

async function segmenterSection({ r, report, plot }: EvaluationPage): Promise<void> {
  const seg = r.segmentation.summary;
  report.section('Segmenter');
  report.paragraph(
    `The segmenter on every image, whatever the classifier says, with the bundle's pixel threshold and minimum area. SIIM convention: an image where truth and prediction are both empty scores 1.`,
  );
  report.table({
    columns: [
      'images',
      'mean Dice',
      'mean IoU',
      'positives',
      'mean Dice (positives)',
      'mean IoU (positives)',
      `positives with IoU < ${r.segmentation.lowCut}`,
    ],
    rows: [
      [
        seg.images,
        seg.meanDice,
        seg.meanIou,
        seg.positiveImages,
        seg.meanDicePositive,
        seg.meanIouPositive,
        r.segmentation.positivesBelowCutIou,
      ],
    ],
  });
  const positives = r.perImage.filter((p) => p.label === 1);
  if (positives.length > 0) {
    await plot(
      histogram({
        title: 'Per-image IoU and Dice on positive images',
        values: [
          ...positives.map((p) => ({ value: p.iou, group: 'IoU' })),
          ...positives.map((p) => ({ value: p.segmentedDice, group: 'Dice' })),
        ],
        valueTitle: 'Score',
        bins: { step: 0.1, extent: [0, 1] },
        groupOrder: ['IoU', 'Dice'],
        width: 520,
        height: 140,
      }),
      'segmentation-histogram',
    );
  }
}

async function tripletSection({ r, report, plot }: EvaluationPage): Promise<void> {
  if (r.triplet) {
    const t = r.triplet;
    report.section('Triplet search');
    report.paragraph(
      `Joint search over classifier threshold, pixel threshold and minimum area (${t.gridPoints} grid points) on probability maps at ${t.searchSide}x${t.searchSide}. ` +
        `Chosen: classifier ${t.best.classifierThreshold}, pixel ${t.best.pixelThreshold}, minimum area ${t.best.minArea} px, SIIM score ${f4(t.best.siimScore)}; the bundle's triplet on the same maps scores ${f4(t.bundleTripletScore)}. ` +
        (t.top.minArea === t.best.minArea
          ? 'It is the top of the grid.'
          : `The top of the grid (${f4(t.top.siimScore)}) needs a minimum area of ${t.top.minArea} px; within one image's worth of score (${f4(t.tolerance)}) the smallest minimum area is taken, as a larger one also drops small pneumothoraces.`),
    );
    const atArea = t.scores.filter((s) => s.minArea === t.best.minArea);
    const cts = [...new Set(atArea.map((s) => s.classifierThreshold))];
    const pts = [...new Set(atArea.map((s) => s.pixelThreshold))];
    const grid = pts.flatMap((pt) =>
      cts.map((ct) => atArea.find((s) => s.classifierThreshold === ct && s.pixelThreshold === pt)!.siimScore),
    );
    await plot(
      heatMap({
        title: `SIIM score at minimum area ${t.best.minArea} px`,
        grid,
        rows: pts.length,
        columns: cts.length,
        xLabels: cts.map(String),
        yLabels: pts.map(String),
        xTitle: 'Classifier threshold',
        yTitle: 'Pixel threshold',
        valueTitle: 'SIIM score',
        width: 520,
        height: 280,
      }),
      'triplet-search',
    );
    const top = [...t.scores].sort((a, b) => b.siimScore - a.siimScore).slice(0, 10);
    report.table({
      caption: 'Ten best triplets',
      columns: ['classifier threshold', 'pixel threshold', 'minimum area', 'SIIM score'],
      rows: top.map((s) => [s.classifierThreshold, s.pixelThreshold, s.minArea, s.siimScore]),
    });
  }
  if (r.writtenThresholds) {
    const w = r.writtenThresholds;
    report.note(`Written into the bundle: classifier ${w.classifier}, pixel ${w.pixel}, minimum area ${w.minArea}.`);
  }
}

function errorAnalysisSection({ r, report, out }: EvaluationPage): void {
  report.section('Error analysis');
  report.paragraph(
    `At the classifier threshold ${r.errorThreshold}: ${r.errors.falseNegativeCount} false negatives and ${r.errors.falsePositiveCount} false positives of the classifier; near-threshold errors lie within ${r.errors.margin} of it. ` +
      'Thumbnails: truth in blue, prediction in red. Every error and poor segmentation is listed in hard-examples.csv for oversampling in training.',
  );
  for (const g of r.galleries) {
    report.paragraph(`${g.title}: ${g.description} (${g.entries.length} shown)`);
    for (const e of g.entries)
      report.image(path.join(out, e.thumbnail), {
        caption: `${e.imageId.slice(-24)}: ${e.caption}`,
        width: 200,
        link: path.join(out, e.thumbnail),
      });
  }
}

function filesSection({ r, report }: EvaluationPage): void {
  report.section('Files');
  report.links([
    { href: r.files.evaluation, text: 'evaluation.json', note: 'every number of this report' },
    { href: r.files.sweepCsv, text: 'threshold-sweep.csv' },
    { href: r.files.hardExamples, text: 'hard-examples.csv', note: 'ImageId,reason,score: pneumo train --oversample' },
  ]);
}

/** The page, top to bottom. */
const SECTIONS: readonly EvaluationSection[] = [
  bundleThresholdsSection,
  studySections,
  tunedSection,
  sweepSection,
  curvesSection,
  segmenterSection,
  tripletSection,
  errorAnalysisSection,
  filesSection,
];

export async function writeEvaluationReport(r: EvaluationResult, out: string): Promise<string> {
  const plots = path.join(out, 'plots');
  const report = new HtmlReport('pneumo evaluation', {
    subtitle: `${r.bundle} on ${r.data} (${r.split.split === 'val' ? `validation split: fraction ${r.split.validationFraction}, seed ${r.split.seed}, ${r.split.source}` : r.split.split === 'out-of-fold' ? `out-of-fold: ${r.split.source}` : 'all images'})`,
  });
  const plot = async (spec: PlotSpec, name: string): Promise<void> => {
    report.plot(await savePlot(spec, plots, name));
  };
  const page: EvaluationPage = { r, report, out, plots, plot };
  for (const section of SECTIONS) await section(page);
  return report.write(path.join(out, 'index.html'));
}
