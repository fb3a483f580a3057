// The stages of `pneumo fit`, each a plain object (name, title, run): analyse the data, split it
// (K folds grouped by patient), train the segmenter and then the classifier from it per fold, bundle,
// choose the operating point on validation (or out-of-fold), and predict a test folder. `pneumo demo`
// runs the same stages between its own (src/demo/run-demo.ts).
import path from 'node:path';
import { mkdir } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import type { DeviceRequest, Precision } from '../torch/compute-names.js';
import { indexDataset, findLabelFile } from '../data/dataset.js';
import { runEda } from '../report/eda/run-eda.js';
import { writeEdaReport } from '../report/eda/eda-report.js';
import { resolveTrainConfig, type TrainConfig } from '../train/config.js';
import { getModelEntry } from '../models/index.js';
import { runTraining } from '../train/run-training.js';
import { readLastCheckpoint, type TrainingState } from '../train/checkpoint.js';
import { writeTrainingPlots } from '../report/training-plots.js';
import { writeEvaluationReport } from '../report/evaluation-report.js';
import { makeBundle, readBundleManifest } from '../pipeline/bundle.js';
import { evaluateBundle, type EvaluateOptions, type EvaluationResult } from '../evaluate/evaluate-bundle.js';
import { sweepRow } from '../evaluate/threshold-sweep.js';
import { predictFiles } from '../pipeline/predict-files.js';
import type { TrainReporter } from '../train/trainer.js';
import type { FitPlan, FitResult, TrainedRunSummary } from '../report/fit-summary.js';
import { stageResult, type Stage, type StageReporter } from './stage-runner.js';
import type { FitState } from './fit-state.js';
import { assignFolds, type FoldAssignment } from './patient-folds.js';

/** What every stage of a fit needs. */
export interface FitContext {
  /** Absolute output folder. */
  out: string;
  /** Absolute dataset folder. */
  data: string;
  /** Label CSV instead of the folder's standard one. */
  labels?: string;
  plan: FitPlan;
  /** The concrete device and the precision everything runs in. */
  compute: { precision: Precision; device: string };
  threads?: number;
  reporter: StageReporter;
  state: FitState;
  /** Problems met on the way (unreadable images, failed plots): reported, not fatal. */
  failures: string[];
}

export const dirOf = (ctx: FitContext, ...parts: string[]) => path.join(ctx.out, ...parts);
const fmt = (v: number | null | undefined, digits = 3) => (v === null || v === undefined ? 'n/a' : v.toFixed(digits));

/** The fold indices of the plan: [null] for one validation split, 0..K-1 for K folds. */
export const foldsOf = (plan: FitPlan): (number | null)[] =>
  plan.folds === 1 ? [null] : Array.from({ length: plan.folds }, (_, k) => k);

const runName = (role: string, fold: number | null) => (fold === null ? role : `${role}-fold${fold}`);
export const trainStageName = (role: string, fold: number | null) =>
  fold === null ? `train ${role}` : `train ${role} fold ${fold}`;

export function edaStage(ctx: FitContext): Stage {
  return {
    name: 'eda',
    title: 'exploratory analysis of the training set',
    run: async () => {
      const result = await runEda({
        dataDir: ctx.data,
        rle: ctx.plan.rle,
        ...(ctx.labels ? { labelsFile: ctx.labels } : {}),
      });
      const files = await writeEdaReport(result, dirOf(ctx, 'eda'));
      return { html: files.html };
    },
  };
}

export function splitStage(ctx: FitContext): Stage {
  return {
    name: 'split',
    title: `${ctx.plan.folds} folds stratified by label and grouped by PatientID`,
    run: async () => {
      const index = await indexDataset(ctx.data, { rle: ctx.plan.rle, ...(ctx.labels ? { labels: ctx.labels } : {}) });
      const assignment = await assignFolds(index.items, ctx.plan.folds, ctx.plan.seed);
      for (const f of assignment.folds)
        ctx.reporter.note(
          `fold ${f.fold}: ${f.validationImages} images (${f.validationPositives} positive) of ${f.patients} patients`,
        );
      if (assignment.imagesWithoutPatientId > 0)
        ctx.reporter.note(`${assignment.imagesWithoutPatientId} images have no PatientID: each is its own patient`);
      return assignment;
    },
    summary: (r) => (r as FoldAssignment).folds.map((f) => `fold ${f.fold} ${f.validationImages} images`).join(', '),
  };
}

/** The training stage's record of a run whose last checkpoint already holds every epoch. */
function finishedRun(config: TrainConfig, state: TrainingState): Omit<TrainedRunSummary, 'plots'> {
  const last = state.history.at(-1);
  const kept =
    config.keepWeights === 'last'
      ? { epoch: state.epoch, value: last?.validation[config.monitor] ?? null, rule: 'last' as const }
      : state.best && { ...state.best, rule: 'best' as const };
  let dataset: { trainImages?: number; validationImages?: number } = {};
  try {
    const run = JSON.parse(readFileSync(path.join(config.out, 'run.json'), 'utf8')) as {
      provenance?: { dataset?: typeof dataset };
    };
    dataset = run.provenance?.dataset ?? {};
  } catch {
    // Counts unknown: the report says n/a.
  }
  return {
    run: config.out,
    best: state.best,
    kept,
    monitor: config.monitor,
    epochsRun: state.epoch,
    trainImages: dataset.trainImages ?? 0,
    validationImages: dataset.validationImages ?? 0,
  };
}

/** The training config of a stage and fold: the plan's recipe on this fit's data, run folder and cache. */
export function trainingConfig(
  ctx: FitContext,
  role: 'segmenter' | 'classifier',
  fold: number | null,
): { config: TrainConfig; task: 'segmenter' | 'classifier' } {
  const { plan } = ctx;
  const settings = plan[role];
  // A U-Net in the classifier's place trains as a segmenter (mask loss) and is picked by the ROC
  // AUC of its image logit.
  const task = getModelEntry(settings.model).task === 'segmentation' ? 'segmenter' : 'classifier';
  const classifying = role === 'classifier' && task === 'segmenter';
  // The classifier starts from the segmenter the same fold has just trained (transfer learning),
  // on balanced epochs unless its settings say otherwise.
  const start =
    role === 'classifier'
      ? {
          pretrained: path.join(dirOf(ctx, 'runs', runName('segmenter', fold)), 'best.safetensors'),
          positiveFraction: settings.settings?.positiveFraction ?? 'balanced',
        }
      : plan.pretrained !== null
        ? { pretrained: plan.pretrained }
        : {};
  const config = resolveTrainConfig(
    task,
    {},
    {
      data: ctx.data,
      ...(ctx.labels ? { labels: ctx.labels } : {}),
      out: dirOf(ctx, 'runs', runName(role, fold)),
      model: settings.model,
      size: plan.inputSize,
      epochs: settings.epochs,
      batchSize: settings.batch,
      lr: settings.lr,
      seed: plan.seed,
      valFraction: plan.valFraction,
      rle: plan.rle,
      cacheDir: dirOf(ctx, 'cache'),
      threads: ctx.threads ?? null,
      precision: ctx.compute.precision,
      device: ctx.compute.device as DeviceRequest,
      maxBatchesPerEpoch: plan.maxBatchesPerEpoch,
      ...(classifying ? { monitor: 'aux_auc' as const } : {}),
      ...settings.settings,
      ...start,
    },
    'fit',
  );
  return { config, task };
}

export function trainingStage(ctx: FitContext, role: 'segmenter' | 'classifier', fold: number | null): Stage {
  const { plan } = ctx;
  const settings = plan[role];
  const title =
    `training the ${role}${fold === null ? '' : ` of fold ${fold}`} (${settings.model}, ${settings.epochs} epochs at ${plan.inputSize} px` +
    (role === 'segmenter' ? ', positive images)' : ', from the segmenter)');
  return {
    name: trainStageName(role, fold),
    title,
    run: async () => {
      const { config, task } = trainingConfig(ctx, role, fold);
      const reporter = jobReporter(ctx, role, fold, settings.epochs);
      const saved = readLastCheckpoint(config.out);
      let summary: Omit<TrainedRunSummary, 'plots'>;
      let history;
      if (saved && saved.epoch >= config.epochs) {
        // Killed after the last epoch was saved but before the stage was recorded.
        summary = finishedRun(config, saved);
        history = saved.history;
      } else {
        const holdout = fold === null ? undefined : foldHoldout(ctx, fold);
        const result = await runTraining({ config, resume: saved !== null, reporter, holdout });
        for (const f of result.failures) ctx.failures.push(`${role} training: ${f.imageId}: ${f.reason}`);
        const { run, best, kept, monitor, epochsRun, trainImages, validationImages } = result;
        summary = { run, best, kept, monitor, epochsRun, trainImages, validationImages };
        history = result.history;
      }
      const plots = await writeTrainingPlots(config.out, history, task).catch((err: Error) => {
        ctx.failures.push(`${role} plots: ${err.message}`);
        return [] as string[];
      });
      const trained: TrainedRunSummary = { ...summary, plots };
      ctx.reporter.note(
        role === 'segmenter'
          ? `segmenter${fold === null ? '' : ` fold ${fold}`}: best validation Dice on positives ${fmt(trained.best?.value)}`
          : `classifier${fold === null ? '' : ` fold ${fold}`}: best validation ROC AUC ${fmt(trained.best?.value)}` +
              (trained.kept?.rule === 'last' ? `; keeping the last epoch's weights (${fmt(trained.kept.value)})` : ''),
      );
      return trained;
    },
    summary: (r) => {
      const t = r as TrainedRunSummary;
      return `${t.epochsRun} epochs, best ${t.monitor} ${fmt(t.best?.value)}`;
    },
  };
}

function foldHoldout(ctx: FitContext, fold: number) {
  const assignment = stageResult<FoldAssignment>(ctx.state, 'split');
  const imageIds = new Set(
    Object.entries(assignment.foldOf)
      .filter(([, k]) => k === fold)
      .map(([id]) => id),
  );
  return { imageIds, record: { fold, folds: ctx.plan.folds, seed: ctx.plan.seed, groupedBy: 'PatientID' } };
}

/** Training epochs of the whole job, and those done: the time left for the whole job. */
function jobReporter(ctx: FitContext, role: string, fold: number | null, epochs: number): TrainReporter {
  const label = fold === null ? role : `${role} fold ${fold}`;
  const inner = ctx.reporter.training(epochs, label);
  const folds = foldsOf(ctx.plan).length;
  const total = folds * (ctx.plan.segmenter.epochs + ctx.plan.classifier.epochs);
  const doneBefore = Object.entries(ctx.state.stages)
    .filter(([name]) => name.startsWith('train '))
    .reduce(
      (n, [name]) => n + (name.startsWith('train segmenter') ? ctx.plan.segmenter.epochs : ctx.plan.classifier.epochs),
      0,
    );
  const began = Date.now();
  let firstEpoch: number | null = null;
  return {
    ...inner,
    epochEnd(record, info) {
      inner.epochEnd?.(record, info);
      firstEpoch ??= record.epoch - 1;
      const ranHere = record.epoch - firstEpoch;
      const done = doneBefore + record.epoch;
      const perEpoch = (Date.now() - began) / 1000 / Math.max(1, ranHere);
      const left = Math.max(0, total - done) * perEpoch;
      ctx.reporter.note(
        `job: ${done}/${total} training epochs done, about ${left >= 5400 ? `${(left / 3600).toFixed(1)} h` : `${Math.ceil(left / 60)} min`} of training left`,
      );
    },
  };
}

export function bundleStage(ctx: FitContext): Stage {
  const folds = foldsOf(ctx.plan);
  const run = (role: string, fold: number | null) => dirOf(ctx, 'runs', runName(role, fold));
  return {
    name: 'bundle',
    title: folds.length === 1 ? 'bundling the two models' : `bundling ${folds.length} folds into an ensemble`,
    run: async () => {
      if (folds.length > 1)
        for (const fold of folds)
          await makeBundle({
            classifierRun: run('classifier', fold),
            segmenterRun: run('segmenter', fold),
            out: dirOf(ctx, 'fold-bundles', `fold${fold}`),
            force: true,
          });
      await makeBundle({
        classifierRun: folds.map((f) => run('classifier', f)),
        segmenterRun: folds.map((f) => run('segmenter', f)),
        out: dirOf(ctx, 'bundle'),
        force: true,
      });
      return { bundle: dirOf(ctx, 'bundle') };
    },
  };
}

/** An evaluation with its progress bar, its failures noted and its HTML report written. */
export async function evaluateWithReport(
  ctx: FitContext,
  name: string,
  options: Omit<EvaluateOptions, 'out' | 'bundle' | 'threads' | 'precision' | 'device' | 'onProgress'>,
): Promise<EvaluationResult> {
  let bar: ReturnType<StageReporter['progress']> | null = null;
  const begun = Date.now();
  const result = await evaluateBundle({
    bundle: dirOf(ctx, 'bundle'),
    threads: ctx.threads,
    out: dirOf(ctx, 'evaluation', name),
    ...ctx.compute,
    ...options,
    onProgress: (done, total) => (bar ??= ctx.reporter.progress(`evaluate ${name}`, total, begun)).update(done),
  });
  (bar as ReturnType<StageReporter['progress']> | null)?.stop();
  for (const f of result.failures) ctx.failures.push(`evaluation (${name}): ${f.file}: ${f.reason}`);
  await writeEvaluationReport(result, dirOf(ctx, 'evaluation', name));
  return result;
}

export type OperatingPointResult = FitResult['operatingPoint'] & {
  thresholds: FitResult['thresholds'];
  /** The threshold sweep's operating point alone, in words. */
  sweepOperatingPoint: string;
  report: string;
  hardExamples: string;
  evaluation: string;
};

export function operatingPointStage(ctx: FitContext): Stage {
  const folds = foldsOf(ctx.plan);
  const outOfFold = folds.length > 1;
  return {
    name: 'evaluate validation',
    title: outOfFold
      ? 'choosing the operating point on the out-of-fold predictions (threshold sweep and triplet search)'
      : 'choosing the operating point on the validation split (threshold sweep and triplet search)',
    run: async (): Promise<OperatingPointResult> => {
      let heldOut: EvaluateOptions['heldOut'];
      if (outOfFold) {
        const assignment = stageResult<FoldAssignment>(ctx.state, 'split');
        heldOut = folds.map((fold) => ({
          bundle: dirOf(ctx, 'fold-bundles', `fold${fold}`),
          imageIds: Object.keys(assignment.foldOf).filter((id) => assignment.foldOf[id] === fold),
        }));
      }
      const validation = await evaluateWithReport(ctx, outOfFold ? 'out-of-fold' : 'validation', {
        data: ctx.data,
        ...(ctx.labels ? { labels: ctx.labels } : {}),
        rle: ctx.plan.rle,
        split: 'val',
        searchTriplet: true,
        writeBundle: true,
        ...(heldOut ? { heldOut } : {}),
      });
      const thresholds = (await readBundleManifest(dirOf(ctx, 'bundle'))).thresholds;
      ctx.reporter.note(
        `thresholds written to the bundle: classifier ${thresholds.classifier}, pixel ${thresholds.pixel}, minimum area ${thresholds.minArea}`,
      );
      return {
        on: outOfFold ? 'out-of-fold' : 'validation',
        images: validation.images,
        rocAuc: validation.classifier.rocAuc,
        dicePositive: validation.segmentation.summary.meanDicePositive,
        siimScore: validation.triplet
          ? validation.triplet.best.siimScore
          : sweepRow(validation.perImage, thresholds.classifier).siimScore,
        description: validation.triplet
          ? 'joint search of classifier threshold, pixel threshold and minimum area for the best SIIM score on validation'
          : validation.tunedOperatingPoint.description,
        thresholds,
        sweepOperatingPoint: validation.tunedOperatingPoint.description,
        report: validation.files.report,
        hardExamples: validation.files.hardExamples,
        evaluation: validation.files.evaluation,
      };
    },
    summary: (r) => {
      const o = r as OperatingPointResult;
      return `${o.images} images, ROC AUC ${fmt(o.rocAuc)}, SIIM ${fmt(o.siimScore)}`;
    },
  };
}

/** A labelled test folder (it has a label file) is also evaluated; every test folder gets a submission.csv. */
export function testStage(ctx: FitContext, test: string): Stage {
  return {
    name: 'test',
    title: `predicting ${test} (submission.csv)`,
    run: async (): Promise<NonNullable<FitResult['test']>> => {
      const out = dirOf(ctx, 'predictions', 'test');
      await mkdir(out, { recursive: true });
      let bar: ReturnType<StageReporter['progress']> | null = null;
      const begun = Date.now();
      const summary = await predictFiles({
        inputs: [test],
        bundle: dirOf(ctx, 'bundle'),
        out,
        threads: ctx.threads,
        ...ctx.compute,
        onProgress: (done, total) => (bar ??= ctx.reporter.progress('predict test', total, begun)).update(done),
      });
      (bar as ReturnType<StageReporter['progress']> | null)?.stop();
      for (const f of summary.failures) ctx.failures.push(`prediction (test): ${f.file}: ${f.reason}`);
      const labelled = await findLabelFile(test).then(
        () => true,
        () => false,
      );
      let evaluation: EvaluationResult | null = null;
      if (labelled) evaluation = await evaluateWithReport(ctx, 'test', { data: test, split: 'all', rle: ctx.plan.rle });
      return {
        images: summary.predicted,
        submission: summary.submissionFile,
        evaluation: evaluation?.files.report ?? null,
        siimScore: evaluation?.atBundleThresholds.siimScore ?? null,
      };
    },
  };
}

/** The recipe's stages from the data to a bundle with its operating point. */
export function recipeStages(ctx: FitContext): Stage[] {
  const folds = foldsOf(ctx.plan);
  return [
    edaStage(ctx),
    ...(folds.length > 1 ? [splitStage(ctx)] : []),
    ...folds.flatMap((fold) => [trainingStage(ctx, 'segmenter', fold), trainingStage(ctx, 'classifier', fold)]),
    bundleStage(ctx),
    operatingPointStage(ctx),
  ];
}
