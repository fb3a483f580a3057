// `pneumo bench fit`: what `pneumo fit --preset cpu` costs here. (1) The wall time of each stage on the
// demo's training set (400 synthetic SIIM-format films, seed 1; --data for another folder), with the
// epochs of each training stage cut to --epochs (default 2; the preset trains 30 and 24) so that the
// run takes minutes: the JSON says so and gives the seconds per training epoch. (2) The recipe's
// training step (its U-Net at its input size and batch) against PyTorch on the same machine, in fp32
// and in the recipe's bf16 (PyTorch under bf16 autocast), through bench/train.ts's children. (3) What
// `fit --print-plan` projects for the full SIIM-ACR set (12,047 films), from the per-image times it
// measures, beside the projection from the per-image times of the stages just run.
import { mkdtemp, rm } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { writeSynthDataset } from '../src/data/synth/dataset-writer.js';
import { indexDataset } from '../src/data/dataset.js';
import { demoDataSeeds, DEMO_PLANS } from '../src/demo/demo-plan.js';
import { resolveFitPlan } from '../src/fit/fit-plan.js';
import { runFit } from '../src/fit/run-fit.js';
import { measureStepTimes, projectWallTime, SIIM_FULL } from '../src/fit/projection.js';
import { compareStep } from './train.js';

const round = (x: number | null | undefined, digits = 3) =>
  x === null || x === undefined || !Number.isFinite(x) ? null : Number(x.toFixed(digits));

export async function run(options: { quick: boolean; epochs?: string; data?: string }): Promise<object> {
  const epochs = Number(options.epochs ?? (options.quick ? 1 : 2));
  if (!Number.isInteger(epochs) || epochs < 1) throw new Error(`--epochs ${options.epochs}: expected an integer >= 1`);
  const threads = availableParallelism();
  const work = await mkdtemp(path.join(tmpdir(), 'pneumo-bench-fit-'));
  try {
    const small = DEMO_PLANS.small;
    let data = options.data ? path.resolve(options.data) : path.join(work, 'data');
    const images = options.quick ? 40 : small.images;
    let synthSeconds: number | null = null;
    if (!options.data) {
      const started = performance.now();
      await writeSynthDataset(data, {
        n: images,
        size: options.quick ? 256 : small.imageSide,
        seed: demoDataSeeds(1).train,
        tubeRatePositive: small.tubeRates.train.positive,
        tubeRateNegative: small.tubeRates.train.negative,
        workers: threads,
      });
      synthSeconds = (performance.now() - started) / 1000;
    } else if (!existsSync(data)) throw new Error(`--data ${data}: no such folder`);
    data = path.resolve(data);
    const index = await indexDataset(data);

    const plan = resolveFitPlan('cpu', [
      {
        source: 'bench',
        settings: {
          segmenter: { epochs },
          classifier: { epochs },
          ...(options.quick ? { inputSize: 64 } : {}),
        },
      },
    ]);
    const loadBefore = loadavg()[0];
    const result = await runFit({
      data,
      out: path.join(work, 'fit'),
      plan,
      compute: { precision: plan.precision, device: 'cpu' },
      restart: true,
    });
    const [segmenter] = result.segmenters;
    const [classifier] = result.classifiers;
    const stageSeconds = Object.fromEntries(Object.entries(result.seconds).map(([k, v]) => [k, round(v, 1)]));
    // Per-image training seconds as the stages measured them (validation and plots included).
    const fromStages = {
      segmenterSecondsPerImage: result.seconds['train segmenter'] / Math.max(1, epochs * segmenter.trainImages),
      classifierSecondsPerImage: result.seconds['train classifier'] / Math.max(1, epochs * classifier.trainImages),
    };

    // The recipe's training step against PyTorch: fp32 on both sides, then bf16 on both sides.
    const size = options.quick ? 64 : plan.inputSize;
    const job = {
      model: plan.segmenter.model,
      size,
      batch: plan.segmenter.batch,
      steps: options.quick ? 2 : 6,
      warmup: 2,
      threads,
    };
    const fp32 = compareStep({ ...job, precision: 'fp32' });
    const bf16 = compareStep({ ...job, precision: 'bf16', referencePrecision: 'bf16' });

    const measured = measureStepTimes(plan, options.quick ? 1 : 3);
    const fullPlan = resolveFitPlan('cpu');
    const printPlan = projectWallTime(fullPlan, measured, SIIM_FULL.images, SIIM_FULL.positiveShare);
    const stageMeasured = {
      ...measured,
      segmenter: { ...measured.segmenter, trainSecondsPerImage: fromStages.segmenterSecondsPerImage },
      classifier: { ...measured.classifier, trainSecondsPerImage: fromStages.classifierSecondsPerImage },
    };
    const fromRun = projectWallTime(fullPlan, stageMeasured, SIIM_FULL.images, SIIM_FULL.positiveShare);
    const hours = (p: typeof printPlan) => ({
      segmenter: round(p.seconds.segmenter / 3600, 2),
      classifier: round(p.seconds.classifier / 3600, 2),
      operatingPoint: round(p.seconds.operatingPoint / 3600, 2),
      total: round(p.hours, 2),
    });
    const step = (c: ReturnType<typeof compareStep>) => ({
      typescriptMedianMs: c.typescript.medianStepMs,
      pytorchMedianMs: c.pytorch.medianStepMs,
      timeRatio: c.timeRatio,
      minTimeRatio: c.minTimeRatio,
      ...(c.typescript.error || c.pytorch.error ? { error: c.typescript.error ?? c.pytorch.error } : {}),
    });
    return {
      benchmark: 'fit',
      quick: options.quick,
      preset: 'cpu',
      reducedEpochs: {
        epochsPerTrainingStage: epochs,
        presetEpochs: { segmenter: fullPlan.segmenter.epochs, classifier: fullPlan.classifier.epochs },
        note: 'training stages ran with the reduced epoch count; the other stages are whole',
      },
      data: {
        folder: options.data ? data : 'the demo training set (synthesised, seed 1)',
        images: index.items.length,
        positives: index.positives,
        synthSeconds: round(synthSeconds, 1),
      },
      threads,
      loadAverage: { before: round(loadBefore, 2), after: round(loadavg()[0], 2) },
      stageSeconds,
      secondsPerTrainingEpoch: {
        segmenter: round(result.seconds['train segmenter'] / epochs, 1),
        classifier: round(result.seconds['train classifier'] / epochs, 1),
      },
      trainStep: { model: job.model, size, batch: job.batch, fp32: step(fp32), bf16: step(bf16) },
      projectionFullSiim: {
        films: SIIM_FULL.images,
        positiveShare: SIIM_FULL.positiveShare,
        plan: 'cpu preset, whole epochs',
        printPlanHours: hours(printPlan),
        printPlanMeasured: {
          device: measured.device,
          precision: measured.precision,
          segmenterTrainMsPerImage: round(measured.segmenter.trainSecondsPerImage * 1000, 1),
          classifierTrainMsPerImage: round(measured.classifier.trainSecondsPerImage * 1000, 1),
          segmenterInferMsPerImage: round(measured.segmenter.inferSecondsPerImage * 1000, 1),
          classifierInferMsPerImage: round(measured.classifier.inferSecondsPerImage * 1000, 1),
        },
        fromThisRunsStagesHours: hours(fromRun),
      },
      operatingPoint: {
        rocAuc: round(result.operatingPoint.rocAuc),
        siimScore: round(result.operatingPoint.siimScore),
        note: 'after the reduced epochs: no claim',
      },
      note: 'ratios are TypeScript / PyTorch (lower is better for us); provisional on a shared machine unless run alone',
    };
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}
