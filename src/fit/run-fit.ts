// `pneumo fit`: the recipe on a SIIM-format folder as one resumable job. The stages (fit-stages.ts)
// run in order; OUT/fit-state.json records each finished one, so the same command run again after a
// crash or kill -9 skips them and resumes an interrupted training run from its last epoch. OUT/fit.log
// has a line per stage, OUT/fit.json the result, OUT/index.html the report.
import { mkdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Precision } from '../torch/compute-names.js';
import { writeFitReport } from '../report/fit-report.js';
import type { FitPlan, FitResult, TrainedRunSummary } from '../report/fit-summary.js';
import { continuedState, newFitState, writeFitState, FIT_STATE_FILE } from './fit-state.js';
import { runStages, stageResult, SILENT_REPORTER, type Stage, type StageReporter } from './stage-runner.js';
import {
  dirOf,
  foldsOf,
  recipeStages,
  testStage,
  trainStageName,
  type FitContext,
  type OperatingPointResult,
} from './fit-stages.js';
import type { FoldAssignment } from './patient-folds.js';

export const FIT_LOG = 'fit.log';
export const FIT_JSON = 'fit.json';

export interface FitOptions {
  data: string;
  out: string;
  plan: FitPlan;
  labels?: string;
  /** A folder to predict (submission.csv), evaluated too when it has a label file. */
  test?: string;
  threads?: number;
  /** The concrete device and precision (the CLI resolves the plan's request). */
  compute: { precision: Precision; device: string };
  /** Start again: remove what an earlier fit left in OUT. */
  restart?: boolean;
}

/** The figures of the recipe's stages, read back from the state. */
export function recipeFigures(ctx: FitContext) {
  const folds = foldsOf(ctx.plan);
  const trained = (role: string) =>
    folds.map((fold) => stageResult<TrainedRunSummary>(ctx.state, trainStageName(role, fold)));
  return {
    eda: stageResult<{ html: string }>(ctx.state, 'eda'),
    split: folds.length > 1 ? stageResult<FoldAssignment>(ctx.state, 'split') : null,
    segmenters: trained('segmenter'),
    classifiers: trained('classifier'),
    operatingPoint: stageResult<OperatingPointResult>(ctx.state, 'evaluate validation'),
  };
}

/** What an earlier fit wrote in OUT (the only things --restart removes). */
const OWN_ENTRIES = [
  'eda',
  'runs',
  'cache',
  'fold-bundles',
  'bundle',
  'evaluation',
  'predictions',
  'index.html',
  FIT_JSON,
  FIT_LOG,
  FIT_STATE_FILE,
];

export async function runFit(options: FitOptions, reporter: StageReporter = SILENT_REPORTER): Promise<FitResult> {
  const out = path.resolve(options.out);
  if (options.restart) for (const e of OWN_ENTRIES) await rm(path.join(out, e), { recursive: true, force: true });
  await mkdir(out, { recursive: true });
  const data = path.resolve(options.data);
  const state = options.restart ? newFitState(data, options.plan) : continuedState(out, data, options.plan);
  const ctx: FitContext = {
    out,
    data,
    ...(options.labels ? { labels: path.resolve(options.labels) } : {}),
    plan: options.plan,
    compute: options.compute,
    threads: options.threads,
    reporter,
    state,
    failures: [],
  };
  const seconds: Record<string, number> = {};
  const started = performance.now();
  const report: Stage = {
    name: 'report',
    title: 'writing the report',
    run: async () => {
      const result = fitResult(ctx, seconds, options.test ?? null);
      result.files.report = await writeFitReport(result);
      await writeFile(dirOf(ctx, FIT_JSON), JSON.stringify(result, null, 2) + '\n');
      return { report: result.files.report };
    },
  };
  const stages = [...recipeStages(ctx), ...(options.test ? [testStage(ctx, path.resolve(options.test))] : []), report];
  // The report is written on every run, so that it shows the latest state.
  delete state.stages.report;
  await runStages(stages, {
    state,
    save: (s) => writeFitState(out, s),
    reporter,
    logFile: dirOf(ctx, FIT_LOG),
    seconds,
  });
  seconds.total = (performance.now() - started) / 1000;
  const result = fitResult(ctx, seconds, options.test ?? null);
  result.files.report = path.join(out, 'index.html');
  await writeFile(dirOf(ctx, FIT_JSON), JSON.stringify(result, null, 2) + '\n');
  return result;
}

function fitResult(ctx: FitContext, seconds: Record<string, number>, test: string | null): FitResult {
  const figures = recipeFigures(ctx);
  const op = figures.operatingPoint;
  const testResult = test ? stageResult<FitResult['test']>(ctx.state, 'test') : null;
  return {
    out: ctx.out,
    data: ctx.data,
    plan: ctx.plan,
    folds: figures.split?.folds ?? [],
    imagesWithoutPatientId: figures.split?.imagesWithoutPatientId ?? 0,
    segmenters: figures.segmenters,
    classifiers: figures.classifiers,
    operatingPoint: {
      on: op.on,
      images: op.images,
      rocAuc: op.rocAuc,
      dicePositive: op.dicePositive,
      siimScore: op.siimScore,
      description: op.description,
    },
    thresholds: op.thresholds,
    test: testResult,
    seconds: { ...seconds },
    files: {
      eda: figures.eda.html,
      bundle: dirOf(ctx, 'bundle'),
      operatingPointReport: op.report,
      hardExamples: op.hardExamples,
      log: dirOf(ctx, FIT_LOG),
      ...(testResult ? { submission: testResult.submission } : {}),
      ...(testResult?.evaluation ? { testReport: testResult.evaluation } : {}),
    },
    failures: [...ctx.failures],
  };
}
