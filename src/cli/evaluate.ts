import { Command, Option } from 'commander';
import { integer, unitInterval } from './option-parsers.js';
import { THREADS_OPTION } from './option-parsers.js';
import { ttaOption, type TtaName } from './tta-option.js';
import { runAction } from './run-action.js';
import { resolveRuntime, runtimeOption, type RuntimeName } from './runtime-option.js';
import { rleOption } from './rle-option.js';
import { addComputeOptions, resolveCompute, type ComputeFlags } from './compute-options.js';
import type { EvaluateOptions, EvaluationResult } from '../evaluate/evaluate-bundle.js';
import type { ThresholdMetrics } from '../metrics/classification.js';

/** The flags that are spelt as evaluateBundle's options; the interface below holds those named otherwise. */
type LibraryFlags =
  | 'bundle'
  | 'data'
  | 'labels'
  | 'rle'
  | 'allowOverlap'
  | 'seed'
  | 'out'
  | 'minRecall'
  | 'triageRecall'
  | 'searchTriplet'
  | 'writeBundle'
  | 'threads'
  | 'groups';

interface EvaluateCliOptions extends ComputeFlags, Pick<EvaluateOptions, LibraryFlags> {
  split: 'val' | 'all';
  valFraction?: number;
  tta: TtaName;
  runtime: RuntimeName;
  batch: number;
  json?: boolean;
  bootstrap: number;
}

const fixed = (v: number | null | undefined, digits = 4) => (v === null || v === undefined ? 'n/a' : v.toFixed(digits));

/** A 95% interval as "[lower-upper]", or nothing when there is none. */
const ci = (i: { lower: number | null; upper: number | null }) =>
  i.lower === null || i.upper === null ? '' : `[95% CI ${i.lower.toFixed(3)}-${i.upper.toFixed(3)}]`;

function rates(label: string, m: ThresholdMetrics): string {
  return (
    `${label}: recall ${fixed(m.recall)}, specificity ${fixed(m.specificity)}, precision ${fixed(m.precision)} ` +
    `(TP ${m.truePositives}, FP ${m.falsePositives}, TN ${m.trueNegatives}, FN ${m.falseNegatives})`
  );
}

const thresholdsText = (t: { classifier: number; pixel: number; minArea: number }) =>
  `classifier ${t.classifier}, pixel ${t.pixel}, minimum area ${t.minArea}`;

export function headline(r: EvaluationResult): string[] {
  const b = r.atBundleThresholds;
  const t = b.thresholds;
  const tuned = r.tunedOperatingPoint;
  const s = r.segmentation.summary;
  const overlap = r.split.trainingOverlap;
  const lines = [
    `${r.images} images (${r.positives} positive, ${r.negatives} negative), split: ${r.split.split}` +
      (r.split.split === 'val'
        ? ` (fraction ${r.split.validationFraction}, seed ${r.split.seed}, ${r.split.source})`
        : '') +
      (overlap === null || overlap === undefined
        ? ''
        : overlap === 0
          ? ', none of them training images'
          : `, ${overlap} of them training images (scores on those are optimistic)`),
    `classifier: ROC AUC ${fixed(r.classifier.rocAuc)} ${ci(r.study.auc.bootstrap)} (DeLong ${r.study.auc.delong ? `${fixed(r.study.auc.delong.lower, 3)}-${fixed(r.study.auc.delong.upper, 3)}` : 'n/a'}), PR AUC ${fixed(r.classifier.prAuc)}`,
    `at the bundle's thresholds (classifier ${t.classifier}, pixel ${t.pixel}, minimum area ${t.minArea}):`,
    `  ${rates('classifier alone', b.classifier)}`,
    `  ${rates('pipeline (classifier passes and a mask survives)', b.pipeline)}`,
    `  pipeline SIIM score ${fixed(b.siimScore)} ${ci(r.study.atBundleThresholds.siimScore)}; Dice on positives: segmenter alone ${fixed(b.dicePositive.segmenter)}, whole pipeline ${fixed(b.dicePositive.pipeline)} ${ci(r.study.atBundleThresholds.dicePositive)}`,
    `  pipeline with 95% intervals (${r.study.bootstrap.resamples} stratified bootstrap resamples): ` +
      (['sensitivity', 'specificity', 'ppv', 'npv'] as const)
        .map(
          (k) =>
            `${k} ${fixed(r.study.atBundleThresholds.pipeline[k].estimate, 3)} ${ci(r.study.atBundleThresholds.pipeline[k])}`,
        )
        .join(', '),
    `segmenter alone on every image: mean Dice ${fixed(s.meanDice)} / IoU ${fixed(s.meanIou)} (SIIM convention), ` +
      `${r.segmentation.positivesBelowCutIou} positives with IoU < ${r.segmentation.lowCut}`,
    `tuned on this set (optimistic bound, not a measurement): threshold ${tuned.threshold} (${tuned.description}) ` +
      `-> recall ${fixed(tuned.row.recall)}, specificity ${fixed(tuned.row.specificity)}, pipeline SIIM ${fixed(tuned.row.siimScore)}`,
  ];
  if (r.triplet) {
    const b = r.triplet.best;
    lines.push(
      `triplet search (${r.triplet.gridPoints} points at ${r.triplet.searchSide}px): classifier ${b.classifierThreshold}, pixel ${b.pixelThreshold}, minimum area ${b.minArea} -> SIIM ${fixed(b.siimScore)} ` +
        `(bundle's triplet on the same maps: ${fixed(r.triplet.bundleTripletScore)})`,
    );
  }
  if (r.study.namedPoints.length > 0) {
    lines.push(
      "the bundle's named operating points (pipeline: flagged when the classifier passes and a mask survives):",
    );
    for (const p of r.study.namedPoints)
      lines.push(
        `  ${p.name} (${thresholdsText(p.thresholds)}): recall ${fixed(p.pipeline.sensitivity.estimate, 3)} ${ci(p.pipeline.sensitivity)}, ` +
          `specificity ${fixed(p.pipeline.specificity.estimate, 3)} ${ci(p.pipeline.specificity)}, SIIM ${fixed(p.siimScore.estimate, 3)}`,
      );
  }
  if (r.writtenOperatingPoints) {
    for (const [name, p] of Object.entries(r.writtenOperatingPoints))
      lines.push(
        `written to the bundle: ${name} point ${thresholdsText(p)} (on these images: recall ${fixed(p.recall, 3)}, specificity ${fixed(p.specificity, 3)}` +
          (p.floorMet === false ? `; the recall floor ${p.recallFloor} was NOT reached` : '') +
          ')',
      );
  } else if (r.writtenThresholds) lines.push(`written to the bundle: ${thresholdsText(r.writtenThresholds)}`);
  if (r.writtenCalibration && r.writtenCalibrationCheck?.calibrated) {
    const { uncalibrated: before, calibrated: after } = r.writtenCalibrationCheck;
    lines.push(
      `calibration written to the bundle: temperature ${fixed(r.writtenCalibration.temperature, 3)}; on these images ` +
        `ECE ${fixed(before.expectedCalibrationError, 3)} -> ${fixed(after.expectedCalibrationError, 3)}, ` +
        `Brier ${fixed(before.brierScore, 3)} -> ${fixed(after.brierScore, 3)}`,
    );
  }
  return lines;
}

export function evaluateCommand(): Command {
  const command = new Command('evaluate')
    .description(
      "Evaluate a bundle on the validation images training held out (same split function, fraction and seed, read from the bundle's provenance): " +
        'threshold sweep with the SIIM score of the whole pipeline, ROC/PR curves, operating point, segmenter scores, ' +
        'error-analysis galleries and a hard-example list for oversampling.',
    )
    .requiredOption('--bundle <dir>', 'model bundle made by `pneumo bundle`')
    .requiredOption(
      '--data <dir>',
      'dataset folder in SIIM format: a label CSV and DICOM files anywhere below it (the Kaggle tree or a flat folder)',
    )
    .option('--labels <csv>', 'label CSV, if not train-rle.csv or stage_2_train.csv in the folder')
    .addOption(rleOption())
    .addOption(new Option('--split <which>', 'images to evaluate').choices(['val', 'all']).default('val'))
    .option(
      '--allow-overlap',
      'with --split val: score it even when it holds images the bundle was trained on (refused by default)',
    )
    .option('--val-fraction <f>', 'validation fraction (default: from the bundle provenance)', unitInterval)
    .option('--seed <n>', 'split seed (default: from the bundle provenance)', integer(0))
    .requiredOption('--out <dir>', 'output folder (created if needed)')
    .option(
      '--min-recall <r>',
      'choose the threshold with the best SIIM score whose recall is at least r (clinical objective)',
      unitInterval,
    )
    .option('--search-triplet', 'also search classifier threshold, pixel threshold and minimum area jointly')
    .option(
      '--write-bundle',
      "choose the siim and triage operating points (and, on a validation split, the calibration and the validation probabilities that `serve` watches for drift, reference.json) on these images and write them into the bundle's bundle.json",
    )
    .option(
      '--triage-recall <r>',
      'with --write-bundle: the triage point is the highest specificity whose recall here is at least r (default 0.9)',
      unitInterval,
    )
    .addOption(ttaOption())
    .addOption(runtimeOption())
    .option('--batch <n>', 'images per batch', integer(1), 8)
    .option(THREADS_OPTION.flags, THREADS_OPTION.description, THREADS_OPTION.parse)
    .option('--bootstrap <n>', 'bootstrap resamples for the 95% intervals (0: none)', integer(0), 1000)
    .option(
      '--groups <csv>',
      'CSV of ImageId and group columns for subgroups; a yes/no column names a device for the shortcut probe',
    )
    .option('--json', 'print evaluation.json instead of the headline');
  return addComputeOptions(command)
    .addHelpText(
      'after',
      "\nThe figures lead with the bundle's own thresholds (its siim point); each named point (siim, triage) follows. The threshold that would be best on these images is\n" +
        'shown below them as an optimistic bound; its objective (default: the best SIIM score of the two-stage\n' +
        'pipeline, where an image below the classifier threshold gets an empty mask) is what --write-bundle\n' +
        'freezes into the bundle, on a validation split. Writes OUT/evaluation.json, OUT/threshold-sweep.csv, OUT/hard-examples.csv\n' +
        '(ImageId,reason,score: `pneumo train ... --oversample OUT/hard-examples.csv`), gallery thumbnails, plots and OUT/index.html.',
    )
    .action(
      runAction(async (opts: EvaluateCliOptions) => {
        const compute = await resolveCompute(opts);
        const { evaluateBundle } = await import('../evaluate/evaluate-bundle.js');
        const { progressCallback } = await import('./progress.js');
        const progress = progressCallback('evaluate', { unit: 'images' });
        const result = await evaluateBundle({
          bundle: opts.bundle,
          data: opts.data,
          labels: opts.labels,
          rle: opts.rle,
          split: opts.split,
          allowOverlap: Boolean(opts.allowOverlap),
          validationFraction: opts.valFraction,
          seed: opts.seed,
          out: opts.out,
          minRecall: opts.minRecall,
          triageRecall: opts.triageRecall,
          searchTriplet: Boolean(opts.searchTriplet),
          writeBundle: Boolean(opts.writeBundle),
          tta: opts.tta,
          runtime: await resolveRuntime(opts.bundle, opts.runtime, compute),
          batchSize: opts.batch,
          threads: opts.threads,
          bootstrap: opts.bootstrap,
          groups: opts.groups,
          ...compute,
          onProgress: progress.onProgress,
        });
        progress.stop();
        if (result.split.split === 'val' && result.split.trainingOverlap === null)
          process.stderr.write(
            'pneumo: note: the bundle does not list its training images (made from older runs); the split is not checked against them\n',
          );
        const { writeEvaluationReport } = await import('../report/evaluation-report.js');
        await writeEvaluationReport(result, opts.out);
        if (opts.json) process.stdout.write(JSON.stringify(result) + '\n');
        else process.stdout.write(headline(result).join('\n') + `\nreport: ${result.files.report}\n`);
        if (result.failures.length > 0) {
          process.stderr.write(`pneumo: ${result.failures.length} image(s) could not be read and were left out:\n`);
          for (const f of result.failures) process.stderr.write(`  ${f.file}: ${f.reason}\n`);
          return 1;
        }
      }),
    );
}
