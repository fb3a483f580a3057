// OUT/index.html of `pneumo fit`: where the operating point was chosen and what it reached there, the
// plan the job followed (preset and overrides), the folds, every training run, the links to the data
// analysis, the evaluation with its galleries and hard examples, the bundle and the submission.
import path from 'node:path';
import { HtmlReport } from './html.js';
import type { FitResult } from './fit-summary.js';
import { recipeSection, settingsText, trainingSection } from './recipe-sections.js';

const fmt = (v: number | null | undefined, digits = 3) => (v === null || v === undefined ? 'n/a' : v.toFixed(digits));

export async function writeFitReport(result: FitResult): Promise<string> {
  const { out, plan } = result;
  const rel = (file: string) => path.relative(out, file);
  const op = result.operatingPoint;
  const report = new HtmlReport('pneumo fit', {
    subtitle: `${result.data}: preset ${plan.preset}, ${plan.folds === 1 ? `one validation split (${Math.round(plan.valFraction * 100)}%)` : `${plan.folds} folds grouped by patient`}`,
  });
  const where = op.on === 'out-of-fold' ? 'out-of-fold predictions' : 'validation split';
  report.section(`Operating point (${where})`);
  report.headlines([
    { label: 'classifier ROC AUC', value: fmt(op.rocAuc), note: `${op.images} images, ${where}` },
    { label: 'Dice on positives, segmenter alone', value: fmt(op.dicePositive), note: 'per image' },
    { label: 'pipeline SIIM score', value: fmt(op.siimScore), note: 'at the chosen thresholds' },
    { label: 'chosen threshold', value: fmt(result.thresholds.classifier, 2), note: 'classifier probability' },
  ]);
  report.paragraph(
    `Thresholds in the bundle: classifier ${result.thresholds.classifier}, pixel ${result.thresholds.pixel}, minimum area ${result.thresholds.minArea} px; ${op.description}.`,
  );
  report.note(
    op.on === 'out-of-fold'
      ? 'Each image was predicted by the fold model that did not train on it; the thresholds were chosen on these same predictions, so the SIIM score here is optimistic. A separate test set (--test) measures the frozen ensemble.'
      : 'The thresholds were tuned on these images: the figures are optimistic. A separate test set (--test) measures the frozen bundle.',
    'warning',
  );
  if (result.test) {
    report.section('Test folder');
    report.paragraph(
      `${result.test.images} images predicted; submission.csv in the Kaggle format (ImageId,EncodedPixels).` +
        (result.test.siimScore !== null ? ` SIIM score against its labels: ${fmt(result.test.siimScore)}.` : ''),
    );
    report.links([
      { href: rel(result.test.submission), text: 'submission.csv' },
      ...(result.test.evaluation ? [{ href: rel(result.test.evaluation), text: 'Evaluation on the test folder' }] : []),
    ]);
  }

  report.section('Plan');
  report.table({
    columns: ['setting', 'value'],
    rows: Object.entries(plan)
      .filter(([k]) => k !== 'segmenter' && k !== 'classifier')
      .map(([k, v]) => [k, v === null ? 'null' : typeof v === 'object' ? settingsText(v as object) : String(v)]),
    caption: 'The preset with every override (--config, flags); `pneumo fit --print-plan` prints the same.',
  });
  recipeSection(
    report,
    plan,
    plan.precision,
    'The segmenter trains on positive images; the classifier starts from the segmenter of its fold on balanced epochs. src/fit/fit-plan.ts says why.',
  );
  if (result.folds.length > 0) {
    report.section('Folds');
    report.table({
      columns: ['fold', 'held-out images', 'positives', 'patients'],
      rows: result.folds.map((f) => [f.fold, f.validationImages, f.validationPositives, f.patients]),
      caption:
        `Stratified by label and grouped by PatientID: no patient's films are on both sides of a fold.` +
        (result.imagesWithoutPatientId > 0
          ? ` ${result.imagesWithoutPatientId} images without a PatientID are each their own patient.`
          : ''),
    });
  }

  report.section('Reports');
  report.links([
    { href: rel(result.files.eda), text: 'Exploratory data analysis' },
    {
      href: rel(result.files.operatingPointReport),
      text: `Evaluation on the ${where}`,
      note: 'threshold sweep, ROC/PR, triplet search, galleries of errors',
    },
    { href: rel(result.files.hardExamples), text: 'hard-examples.csv', note: 'for pneumo train --oversample' },
    { href: rel(path.join(result.files.bundle, 'bundle.json')), text: 'bundle.json' },
    { href: rel(result.files.log), text: 'fit.log', note: 'a line per stage' },
    { href: 'fit.json', text: 'fit.json', note: 'every number on this page, machine-readable' },
  ]);

  const named = (role: string, runs: FitResult['segmenters']) =>
    runs.map((r, k) => [runs.length === 1 ? role : `${role} fold ${k}`, r] as const);
  trainingSection(report, out, [...named('segmenter', result.segmenters), ...named('classifier', result.classifiers)]);

  report.section('Timings');
  report.table({
    columns: ['stage', 'seconds'],
    rows: Object.entries(result.seconds).map(([stage, s]) => [stage, s.toFixed(1)]),
  });
  if (result.failures.length > 0) {
    report.section('Problems');
    report.note(`${result.failures.length} item(s) failed and were left out:`, 'warning');
    report.list(result.failures);
  }
  return report.write(path.join(out, 'index.html'));
}
