// `pneumo demo`: the whole system on data it makes itself, as synth + fit. Synthesise a SIIM-format
// training set and an independent test set, run fit's recipe stages on the training set (analyse,
// train the segmenter, then the classifier from it, bundle, choose the thresholds on the validation
// split), then the demo's own: measure the frozen bundle on the test set, run the two-stage
// prediction on test images and on the real SIIM sample DICOMs when present, and link it all from one
// index.html.
import type { Precision } from '../torch/compute-names.js';
import { mkdir, readdir, rm, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import path from 'node:path';
import os from 'node:os';
import { writeSynthDataset } from '../data/synth/dataset-writer.js';
import { indexDataset, type DatasetItem } from '../data/dataset.js';
import { writeDemoReport } from '../report/demo-report.js';
import type { EvaluationResult } from '../evaluate/evaluate-bundle.js';
import { newFitState } from '../fit/fit-state.js';
import { runStages, SILENT_REPORTER, type Stage, type StageReporter } from '../fit/stage-runner.js';
import { evaluateWithReport, recipeStages, type FitContext } from '../fit/fit-stages.js';
import { recipeFigures } from '../fit/run-fit.js';
import { triageFigures, triageTargetChecks, type TriageFigures } from './recipe-figures.js';
import type { FitPlan } from '../report/fit-summary.js';
import { predictFiles, type PredictFilesSummary } from '../pipeline/predict-files.js';
import { scoreLabelFiles, type SiimScoreResult } from '../metrics/siim-score.js';
import { fixturesDir } from '../project-paths.js';
import { demoDataSeeds } from './demo-plan.js';
import { testSubgroups } from './test-subgroups.js';
import type { SubgroupFigures } from '../evaluate/subgroups.js';
import type { DemoHeadline, DemoPlan, DemoResult, TargetCheck } from '../report/demo-summary.js';

/** How the demo shows its progress: the same reporter as fit's stages. */
export type DemoReporter = StageReporter;
export { SILENT_REPORTER };

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

/** Equal numbers of positive and negative test images (as far as there are), in a fixed order. */
function pickForPrediction(items: readonly DatasetItem[], count: number): DatasetItem[] {
  const sorted = [...items].sort((a, b) => (a.imageId < b.imageId ? -1 : 1));
  const positives = sorted.filter((i) => i.label === 1).slice(0, Math.ceil(count / 2));
  const negatives = sorted.filter((i) => i.label === 0).slice(0, count - positives.length);
  return [...positives, ...negatives];
}

const fmt = (v: number | null, digits = 3) => (v === null ? 'n/a' : v.toFixed(digits));

/**
 * The plan's targets on the test set, then issue 30's triage targets at the bundle's triage point (the
 * test study's figures there, `triage`), which a plan with targets is judged by too.
 */
export function checkTargets(
  plan: DemoPlan,
  h: DemoHeadline,
  withTubes: SubgroupFigures | null,
  triage: TriageFigures | null,
): TargetCheck[] {
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
    ...triageTargetChecks(triage),
  ];
}

/** The fit plan the demo's recipe stages run: the demo plan's recipe on one validation split. */
export function demoFitPlan(plan: DemoPlan, seed: number, precision: Precision): FitPlan {
  return {
    preset: `demo ${plan.size}`,
    inputSize: plan.inputSize,
    precision,
    device: 'cpu',
    segmenter: plan.segmenter,
    classifier: plan.classifier,
    folds: 1,
    valFraction: 0.2,
    seed,
    pretrained: null,
    rle: 'relative',
    maxBatchesPerEpoch: null,
  };
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
  const started = performance.now();
  await prepareOut(out, Boolean(options.force));

  const fitPlan = demoFitPlan(plan, seed, compute.precision);
  const state = newFitState(dir('data'), fitPlan);
  const ctx: FitContext = {
    out,
    data: dir('data'),
    plan: fitPlan,
    compute,
    threads: options.threads,
    reporter,
    state,
    failures,
  };

  const synthesis: Stage = {
    name: 'synthesis',
    title: `synthesising ${plan.images} training and ${plan.testImages} test images (${plan.imageSide} px DICOM, seed ${seed})`,
    run: async () => {
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
    },
  };

  let test: EvaluationResult | null = null;
  const testEvaluation: Stage = {
    name: 'evaluate test',
    title: `measuring the frozen bundle on the independent test set (${plan.testImages} images)`,
    run: async () => {
      test = await evaluateWithReport(ctx, 'test', { data: dir('test-data'), split: 'all' });
    },
  };

  let chosen: DatasetItem[] = [];
  let synthetic: PredictFilesSummary | null = null;
  let siimSample: DemoResult['siimSample'] = null;
  let siimSamplePredictions: string | null = null;
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
  const prediction: Stage = {
    name: 'predict',
    title: 'two-stage prediction on test images' + (haveSiimSample ? ' and on the real SIIM sample DICOMs' : ''),
    run: async () => {
      const testIndex = await indexDataset(dir('test-data'));
      chosen = pickForPrediction(testIndex.items, plan.predictImages);
      synthetic = await predict(
        'synthetic',
        chosen.map((i) => i.path),
      );
      if (!haveSiimSample) return;
      const begun = performance.now();
      const summary = await predict('siim-sample', [siimSampleDir], 'siim');
      seconds['predict SIIM sample'] = (performance.now() - begun) / 1000;
      const score: SiimScoreResult = await scoreLabelFiles(
        path.join(siimSampleDir, 'train-rle-sample.csv'),
        summary.submissionFile,
        { allTruth: true },
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
    },
  };

  let result: DemoResult | null = null;
  const report: Stage = {
    name: 'report',
    title: 'writing the report',
    run: async () => {
      result = demoResult();
      result.files.report = await writeDemoReport(result, {
        segmenter: recipeFigures(ctx).segmenters[0],
        classifier: recipeFigures(ctx).classifiers[0],
        chosen,
      });
    },
  };

  const demoResult = (): DemoResult => {
    const figures = recipeFigures(ctx);
    const validation = figures.operatingPoint;
    const thresholds = validation.thresholds;
    const t = test!;
    const frozen = t.atBundleThresholds;
    const rates = (m: typeof frozen.pipeline) => ({
      recall: m.recall,
      specificity: m.specificity,
      precision: m.precision,
    });
    const headline: DemoHeadline = {
      rocAuc: t.classifier.rocAuc,
      prAuc: t.classifier.prAuc,
      threshold: thresholds.classifier,
      thresholdObjective: validation.description,
      classifier: rates(frozen.classifier),
      pipeline: rates(frozen.pipeline),
      dicePositive: frozen.dicePositive,
      siimScore: frozen.siimScore,
      allEmptyScore: t.negatives / Math.max(1, t.images),
    };
    const predicted = synthetic!;
    seconds.total = (performance.now() - started) / 1000;
    return {
      out,
      plan,
      seed,
      precision: compute.precision,
      headline,
      validation: {
        rocAuc: validation.rocAuc,
        dicePositive: validation.dicePositive,
        siimScore: validation.siimScore,
        operatingPoint: validation.sweepOperatingPoint,
      },
      thresholds,
      subgroups: subgroups!,
      testStudy: t.study,
      targets: checkTargets(plan, headline, subgroups!.tubes[0] ?? null, triageFigures(t.study)),
      seconds,
      prediction: {
        imagesPerSecond: predicted.imagesPerSecond,
        secondsPerImage: predicted.seconds / Math.max(1, predicted.predicted),
      },
      siimSample,
      files: {
        eda: figures.eda.html,
        segmenterRun: figures.segmenters[0].run,
        classifierRun: figures.classifiers[0].run,
        bundle: dir('bundle'),
        validationReport: validation.report,
        testReport: t.files.report,
        hardExamples: validation.hardExamples,
        syntheticPredictions: predicted.predictionsFile,
        ...(siimSamplePredictions ? { siimSamplePredictions } : {}),
      },
      failures,
    };
  };

  let subgroups: DemoResult['subgroups'] | null = null;
  const testFigures: Stage = {
    ...testEvaluation,
    run: async () => {
      await testEvaluation.run();
      const thresholds = recipeFigures(ctx).operatingPoint.thresholds;
      subgroups = await testSubgroups(dir('test-data'), test!.perImage, thresholds);
      const withTubes = subgroups.tubes[0];
      if (withTubes)
        reporter.note(
          `test images with a chest drain: ${withTubes.images} (${withTubes.positives} positive), classifier ROC AUC ${fmt(withTubes.rocAuc)}`,
        );
    },
  };

  await runStages([synthesis, ...recipeStages(ctx), testFigures, prediction, report], {
    state,
    save: () => {},
    reporter,
    seconds,
  });
  const finished = result as DemoResult | null;
  if (!finished) throw new Error('the demo ended without its report');
  await writeFile(dir('demo.json'), JSON.stringify(finished, null, 2) + '\n');
  return finished;
}
