// `pneumo demo`: the whole system on data it makes itself. Synthesise a SIIM-format training set and an
// independent test set, analyse the data, train the segmenter, then the classifier from the
// segmenter's encoder, bundle them, choose the thresholds on the validation split, measure the frozen
// bundle on the test set, run the two-stage prediction on test images and on the real SIIM sample
// DICOMs when present, and link it all from one index.html.
import type { DeviceRequest, Precision } from '../torch/compute-names.js';
import { mkdir, readdir, rm, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import path from 'node:path';
import os from 'node:os';
import { writeSynthDataset } from '../data/synth/dataset-writer.js';
import { indexDataset, type DatasetItem } from '../data/dataset.js';
import { runEda } from '../report/eda/run-eda.js';
import { writeEdaReport } from '../report/eda/eda-report.js';
import { resolveTrainConfig } from '../train/config.js';
import { getModelEntry } from '../models/index.js';
import { runTraining } from '../train/run-training.js';
import { writeTrainingPlots } from '../report/training-plots.js';
import { writeEvaluationReport } from '../report/evaluation-report.js';
import { writeDemoReport, type TrainedRun } from '../report/demo-report.js';
import type { TrainReporter } from '../train/trainer.js';
import { makeBundle, readBundleManifest } from '../pipeline/bundle.js';
import { evaluateBundle } from '../evaluate/evaluate-bundle.js';
import { sweepRow } from '../evaluate/threshold-sweep.js';
import { predictFiles, type PredictFilesSummary } from '../pipeline/predict-files.js';
import { scoreLabelFiles, type SiimScoreResult } from '../metrics/siim-score.js';
import { fixturesDir } from '../project-paths.js';
import { demoDataSeeds } from './demo-plan.js';
import { testSubgroups } from './test-subgroups.js';
import type { SubgroupFigures } from '../evaluate/subgroups.js';
import type { DemoHeadline, DemoPlan, DemoResult, TargetCheck } from '../report/demo-summary.js';

/** How the demo shows its progress; the CLI gives bars and lines, tests give nothing. */
export interface DemoReporter {
  stage(index: number, total: number, title: string): void;
  note(line: string): void;
  progress(label: string, total: number, startedAt: number): { update(done: number): void; stop(): void };
  training(epochs: number): TrainReporter;
}

export const SILENT_REPORTER: DemoReporter = {
  stage: () => {},
  note: () => {},
  progress: () => ({ update: () => {}, stop: () => {} }),
  training: () => ({}),
};

export interface DemoOptions {
  out: string;
  plan: DemoPlan;
  seed: number;
  /** Replace a folder that holds something other than an earlier demo. */
  force?: boolean;
  /** Engine threads for every stage; default: PNEUMO_THREADS, else every core. */
  threads?: number;
  /** fp32, bf16, or fp16 on CUDA: training, evaluation and prediction alike; default: the plan's. */
  precision?: Precision;
  /** A concrete device ('cpu', 'cuda:0'); 'cpu' by default. */
  device?: string;
}

// The folders and files the demo writes: the only things it removes when it runs again.
const OWN_ENTRIES = [
  'data',
  'test-data',
  'eda',
  'runs',
  'cache',
  'bundle',
  'evaluation',
  'predictions',
  'index.html',
  'demo.json',
];

async function prepareOut(out: string, force: boolean): Promise<void> {
  await mkdir(out, { recursive: true });
  const entries = await readdir(out);
  const foreign = entries.filter((e) => !OWN_ENTRIES.includes(e));
  if (foreign.length > 0 && !force)
    throw new Error(
      `${out} holds files the demo did not make (${foreign.slice(0, 3).join(', ')}); choose another --out or pass --force`,
    );
  // Nothing from an earlier run is reused: stale weights or caches would make the numbers lie.
  for (const entry of entries)
    if (OWN_ENTRIES.includes(entry) || force) await rm(path.join(out, entry), { recursive: true, force: true });
}

async function timed<T>(seconds: Record<string, number>, name: string, work: () => Promise<T>): Promise<T> {
  const started = performance.now();
  try {
    return await work();
  } finally {
    seconds[name] = (performance.now() - started) / 1000;
  }
}

/** Equal numbers of positive and negative test images (as far as there are), in a fixed order. */
function pickForPrediction(items: readonly DatasetItem[], count: number): DatasetItem[] {
  const sorted = [...items].sort((a, b) => (a.imageId < b.imageId ? -1 : 1));
  const positives = sorted.filter((i) => i.label === 1).slice(0, Math.ceil(count / 2));
  const negatives = sorted.filter((i) => i.label === 0).slice(0, count - positives.length);
  return [...positives, ...negatives];
}

const fmt = (v: number | null, digits = 3) => (v === null ? 'n/a' : v.toFixed(digits));

export function checkTargets(plan: DemoPlan, h: DemoHeadline, withTubes: SubgroupFigures | null): TargetCheck[] {
  if (!plan.targets) return [];
  const t = plan.targets;
  const tubeAuc = withTubes?.rocAuc ?? null;
  return [
    { name: 'classifier ROC AUC', target: `>= ${t.rocAuc}`, value: fmt(h.rocAuc), met: (h.rocAuc ?? 0) >= t.rocAuc },
    {
      name: 'classifier ROC AUC on test images with a chest drain',
      target: `>= ${t.rocAucWithTubes}`,
      value: fmt(tubeAuc),
      met: (tubeAuc ?? 0) >= t.rocAucWithTubes,
    },
    {
      name: 'Dice on positive images, segmenter alone',
      target: `>= ${t.dicePositive}`,
      value: fmt(h.dicePositive.segmenter),
      met: (h.dicePositive.segmenter ?? 0) >= t.dicePositive,
    },
    {
      name: 'pipeline SIIM score over the all-empty baseline',
      target: `> ${fmt(h.allEmptyScore)} + ${t.siimMarginOverEmpty}`,
      value: fmt(h.siimScore),
      met: (h.siimScore ?? 0) > h.allEmptyScore + t.siimMarginOverEmpty,
    },
  ];
}

export async function runDemo(options: DemoOptions, reporter: DemoReporter = SILENT_REPORTER): Promise<DemoResult> {
  const { plan, seed } = options;
  const compute = { precision: options.precision ?? plan.precision, device: options.device ?? 'cpu' };
  const out = path.resolve(options.out);
  const dir = (...parts: string[]) => path.join(out, ...parts);
  const seconds: Record<string, number> = {};
  const failures: string[] = [];
  const workers = Math.max(1, os.availableParallelism());
  const fixtures = fixturesDir();
  const siimSampleDir = fixtures ? path.join(fixtures, 'siim-sample') : null;
  const haveSiimSample = siimSampleDir !== null && existsSync(siimSampleDir);
  const stages = 9;
  const started = performance.now();
  await prepareOut(out, Boolean(options.force));

  reporter.stage(
    1,
    stages,
    `synthesising ${plan.images} training and ${plan.testImages} test images (${plan.imageSide} px DICOM, seed ${seed})`,
  );
  await timed(seconds, 'synthesis', async () => {
    for (const [folder, n, s, label, tubes] of [
      ['data', plan.images, demoDataSeeds(seed).train, 'synth train', plan.tubeRates.train],
      ['test-data', plan.testImages, demoDataSeeds(seed).test, 'synth test', plan.tubeRates.test],
    ] as const) {
      const bar = reporter.progress(label, n, Date.now());
      const summary = await writeSynthDataset(dir(folder), {
        n,
        size: plan.imageSide,
        seed: s,
        tubeRatePositive: tubes.positive,
        tubeRateNegative: tubes.negative,
        workers,
        onProgress: (done) => bar.update(done),
      });
      bar.stop();
      for (const f of summary.failures) failures.push(`synthesis: ${JSON.stringify(f)}`);
    }
  });

  reporter.stage(2, stages, 'exploratory analysis of the training set');
  const eda = await timed(seconds, 'eda', async () => {
    const result = await runEda({ dataDir: dir('data') });
    return writeEdaReport(result, dir('eda'));
  });

  const train = async (stage: 'segmenter' | 'classifier', extra: Record<string, unknown>): Promise<TrainedRun> => {
    const settings = stage === 'segmenter' ? plan.segmenter : plan.classifier;
    // A U-Net in the classifier's place trains as a segmenter (mask loss) and is picked by the ROC AUC
    // of its image logit.
    const task = getModelEntry(settings.model).task === 'segmentation' ? 'segmenter' : 'classifier';
    const classifying = stage === 'classifier' && task === 'segmenter';
    const config = resolveTrainConfig(
      task,
      {},
      {
        data: dir('data'),
        out: dir('runs', stage),
        model: settings.model,
        size: plan.inputSize,
        epochs: settings.epochs,
        batchSize: settings.batch,
        lr: settings.lr,
        seed,
        cacheDir: dir('cache'),
        threads: options.threads ?? null,
        precision: compute.precision,
        device: compute.device as DeviceRequest,
        ...(classifying ? { monitor: 'aux_auc' as const } : {}),
        ...settings.settings,
        ...extra,
      },
      'demo',
    );
    const result = await runTraining({ config, reporter: reporter.training(settings.epochs) });
    for (const f of result.failures) failures.push(`${stage} training: ${f.imageId}: ${f.reason}`);
    const plots = await writeTrainingPlots(config.out, result.history, task).catch((err: Error) => {
      failures.push(`${stage} plots: ${err.message}`);
      return [];
    });
    return { ...result, plots };
  };

  reporter.stage(
    3,
    stages,
    `training the segmenter (${plan.segmenter.model}, ${plan.segmenter.epochs} epochs at ${plan.inputSize} px, positive images)`,
  );
  const segmenter = await timed(seconds, 'train segmenter', () => train('segmenter', {}));
  reporter.note(`segmenter: best validation Dice on positives ${fmt(segmenter.best?.value ?? null)}`);

  // No ImageNet weights can be downloaded here: the classifier starts from the encoder the segmenter
  // has just learned on the same training split (transfer learning), and sees balanced epochs (the
  // plan's settings say how, e.g. a U-Net whose image logit is its mask's peak).
  reporter.stage(
    4,
    stages,
    `training the classifier (${plan.classifier.model}, ${plan.classifier.epochs} epochs, encoder from the segmenter)`,
  );
  const classifier = await timed(seconds, 'train classifier', () =>
    train('classifier', {
      pretrained: path.join(segmenter.run, 'best.safetensors'),
      positiveFraction: plan.classifier.settings?.positiveFraction ?? 'balanced',
    }),
  );
  reporter.note(
    `classifier: best validation ROC AUC ${fmt(classifier.best?.value ?? null)}` +
      (classifier.kept?.rule === 'last' ? `; keeping the last epoch's weights (${fmt(classifier.kept.value)})` : ''),
  );

  reporter.stage(5, stages, 'bundling the two models');
  await timed(seconds, 'bundle', () =>
    makeBundle({ classifierRun: classifier.run, segmenterRun: segmenter.run, out: dir('bundle') }),
  );

  const evaluate = async (name: string, data: string, split: 'val' | 'all', choose: boolean) => {
    let bar: ReturnType<DemoReporter['progress']> | null = null;
    const begun = Date.now();
    const result = await evaluateBundle({
      bundle: dir('bundle'),
      data,
      split,
      threads: options.threads,
      out: dir('evaluation', name),
      searchTriplet: choose,
      writeBundle: choose,
      ...compute,
      onProgress: (done, total) => (bar ??= reporter.progress(`evaluate ${name}`, total, begun)).update(done),
    });
    (bar as ReturnType<DemoReporter['progress']> | null)?.stop();
    for (const f of result.failures) failures.push(`evaluation (${name}): ${f.file}: ${f.reason}`);
    await writeEvaluationReport(result, dir('evaluation', name));
    return result;
  };

  reporter.stage(
    6,
    stages,
    'choosing the operating point on the validation split (threshold sweep and triplet search)',
  );
  const validation = await timed(seconds, 'evaluate validation', () =>
    evaluate('validation', dir('data'), 'val', true),
  );
  const thresholds = (await readBundleManifest(dir('bundle'))).thresholds;
  reporter.note(
    `thresholds written to the bundle: classifier ${thresholds.classifier}, pixel ${thresholds.pixel}, minimum area ${thresholds.minArea}`,
  );

  reporter.stage(7, stages, `measuring the frozen bundle on the independent test set (${plan.testImages} images)`);
  const test = await timed(seconds, 'evaluate test', () => evaluate('test', dir('test-data'), 'all', false));
  const frozen = test.atBundleThresholds;
  const rates = (m: typeof frozen.pipeline) => ({
    recall: m.recall,
    specificity: m.specificity,
    precision: m.precision,
  });
  const headline: DemoHeadline = {
    rocAuc: test.classifier.rocAuc,
    prAuc: test.classifier.prAuc,
    threshold: thresholds.classifier,
    thresholdObjective: validation.triplet
      ? 'joint search of classifier threshold, pixel threshold and minimum area for the best SIIM score on validation'
      : validation.tunedOperatingPoint.description,
    classifier: rates(frozen.classifier),
    pipeline: rates(frozen.pipeline),
    dicePositive: frozen.dicePositive,
    siimScore: frozen.siimScore,
    allEmptyScore: test.negatives / Math.max(1, test.images),
  };
  const subgroups = await testSubgroups(dir('test-data'), test.perImage, thresholds);
  const withTubes = subgroups.tubes[0];
  if (withTubes)
    reporter.note(
      `test images with a chest drain: ${withTubes.images} (${withTubes.positives} positive), classifier ROC AUC ${fmt(withTubes.rocAuc)}`,
    );

  reporter.stage(
    8,
    stages,
    'two-stage prediction on test images' + (haveSiimSample ? ' and on the real SIIM sample DICOMs' : ''),
  );
  const testIndex = await indexDataset(dir('test-data'));
  const chosen = pickForPrediction(testIndex.items, plan.predictImages);
  // The test images are predicted as serve would (the triage point); the SIIM sample is scored by the
  // SIIM score, so at the point chosen for it.
  const predict = async (
    name: string,
    inputs: string[],
    operatingPoint: 'triage' | 'siim' = 'triage',
  ): Promise<PredictFilesSummary> => {
    let bar: ReturnType<DemoReporter['progress']> | null = null;
    const begun = Date.now();
    const summary = await predictFiles({
      inputs,
      bundle: dir('bundle'),
      out: dir('predictions', name),
      operatingPoint,
      threads: options.threads,
      ...compute,
      onProgress: (done, total) => (bar ??= reporter.progress(`predict ${name}`, total, begun)).update(done),
    });
    (bar as ReturnType<DemoReporter['progress']> | null)?.stop();
    for (const f of summary.failures) failures.push(`prediction (${name}): ${f.file}: ${f.reason}`);
    return summary;
  };
  const synthetic = await timed(seconds, 'predict', () =>
    predict(
      'synthetic',
      chosen.map((i) => i.path),
    ),
  );
  let siimSample: DemoResult['siimSample'] = null;
  let siimSamplePredictions: string | null = null;
  if (haveSiimSample) {
    const summary = await timed(seconds, 'predict SIIM sample', () => predict('siim-sample', [siimSampleDir], 'siim'));
    const score: SiimScoreResult = await scoreLabelFiles(
      path.join(siimSampleDir, 'train-rle-sample.csv'),
      summary.submissionFile,
      {
        allTruth: true,
      },
    );
    siimSample = {
      images: summary.predicted,
      positives: score.summary.positiveImages,
      allEmptyScore: score.summary.images > 0 ? score.summary.negativeImages / score.summary.images : null,
      score: score.score,
      predictedPositive: summary.positives,
      labels: path.join(siimSampleDir, 'train-rle-sample.csv'),
    };
    siimSamplePredictions = summary.predictionsFile;
  }

  seconds.total = (performance.now() - started) / 1000;
  const result: DemoResult = {
    out,
    plan,
    seed,
    precision: compute.precision,
    headline,
    validation: {
      rocAuc: validation.classifier.rocAuc,
      dicePositive: validation.segmentation.summary.meanDicePositive,
      siimScore: validation.triplet
        ? validation.triplet.best.siimScore
        : sweepRow(validation.perImage, thresholds.classifier).siimScore,
      operatingPoint: validation.tunedOperatingPoint.description,
    },
    thresholds,
    subgroups,
    testStudy: test.study,
    targets: checkTargets(plan, headline, subgroups.tubes[0] ?? null),
    seconds,
    prediction: {
      imagesPerSecond: synthetic.imagesPerSecond,
      secondsPerImage: synthetic.seconds / Math.max(1, synthetic.predicted),
    },
    siimSample,
    files: {
      eda: eda.html,
      segmenterRun: segmenter.run,
      classifierRun: classifier.run,
      bundle: dir('bundle'),
      validationReport: validation.files.report,
      testReport: test.files.report,
      hardExamples: validation.files.hardExamples,
      syntheticPredictions: synthetic.predictionsFile,
      ...(siimSamplePredictions ? { siimSamplePredictions } : {}),
    },
    failures,
  };
  reporter.stage(9, stages, 'writing the report');
  result.files.report = await writeDemoReport(result, { segmenter, classifier, chosen });
  await writeFile(dir('demo.json'), JSON.stringify(result, null, 2) + '\n');
  return result;
}
