import { Command, Option } from 'commander';
import { rleOption } from './rle-option.js';
import { runAction, UsageError } from './run-action.js';
import { integer, number, THREADS_OPTION } from './option-parsers.js';

interface FitCliOptions {
  data?: string;
  out?: string;
  preset: string;
  config?: string;
  set: string[];
  folds?: number;
  size?: number;
  seed?: number;
  valFraction?: number;
  pretrained?: string;
  rle?: string;
  segModel?: string;
  segEpochs?: number;
  clsModel?: string;
  clsEpochs?: number;
  maxBatches?: number;
  precision?: string;
  device?: string;
  labels?: string;
  test?: string;
  threads?: number;
  restart?: boolean;
  printPlan?: boolean;
  projectImages: number;
  json?: boolean;
}

/** The flags that set plan settings, as a layer of settings (undefined: not given). */
function flagSettings(o: FitCliOptions): Record<string, unknown> {
  const stage = (model?: string, epochs?: number) =>
    model === undefined && epochs === undefined ? undefined : { model, epochs };
  const clean = (v: Record<string, unknown> | undefined) =>
    v && Object.fromEntries(Object.entries(v).filter(([, x]) => x !== undefined));
  return {
    folds: o.folds,
    inputSize: o.size,
    seed: o.seed,
    valFraction: o.valFraction,
    pretrained: o.pretrained,
    rle: o.rle,
    precision: o.precision,
    device: o.device,
    maxBatchesPerEpoch: o.maxBatches,
    segmenter: clean(stage(o.segModel, o.segEpochs)),
    classifier: clean(stage(o.clsModel, o.clsEpochs)),
  };
}

const HELP_AFTER = `
Stages, each recorded in OUT/fit-state.json when it finishes (OUT/fit.log has a line per stage):
  eda; split (--folds K >= 2: K folds stratified by label, grouped by the DICOM PatientID);
  train segmenter and train classifier (per fold; the classifier starts from its fold's segmenter);
  bundle (with K folds an ensemble: bundle.json lists each role's fold files, probabilities averaged);
  the operating point (threshold triplet) on the validation split, or on the out-of-fold predictions;
  with --test DIR, predictions and a Kaggle submission.csv (evaluated too if DIR has a label file);
  index.html.
Run the same command again after a crash or kill -9: finished stages are skipped and an interrupted
training run continues from its last finished epoch. --restart starts over.

Settings: the preset, then --config FILE (YAML or JSON with the plan's names, e.g.
  folds: 5
  segmenter: { epochs: 40, settings: { loss: lovasz } }
), then --set NAME=VALUE (dotted names, YAML values), then the flags below. --print-plan shows the
resolved plan and what it would take here for the full SIIM-ACR set (12,047 films), from a few
training steps of each model timed on this machine.

Examples:
  pneumo fit --data siim/ --out fit-cpu
  pneumo fit --data siim/ --out fit-gpu --preset gpu-512 --folds 5 --test siim-test/
  pneumo fit --preset gpu-1024 --print-plan`;

export function fitCommand(): Command {
  const command = new Command('fit')
    .description(
      'Train the whole recipe on a SIIM-format folder as one resumable job: analysis, segmenter, classifier (per fold), bundle, thresholds chosen on validation or out-of-fold, evaluation with galleries and hard examples, OUT/index.html',
    )
    .option('--data <dir>', 'dataset folder: a label CSV (train-rle.csv, stage_2_train.csv) and DICOM files below it')
    .option('--out <dir>', 'output folder; a rerun continues the fit in it')
    .addOption(
      new Option('--preset <name>', 'recipe to start from').choices(['cpu', 'gpu-512', 'gpu-1024']).default('cpu'),
    )
    .option('--config <file>', 'plan settings (YAML or JSON) over the preset')
    .option(
      '--set <name=value>',
      'one plan setting, e.g. segmenter.epochs=5 (repeatable)',
      (v: string, all: string[]) => [...all, v],
      [] as string[],
    )
    .option('--folds <k>', 'K folds grouped by patient and an ensemble; 1: one validation split', integer(1))
    .option('--size <px>', 'input size of both models (a multiple of 32)', integer(32))
    .option('--seed <n>', 'seed of the split and the training', integer(0))
    .option('--val-fraction <f>', 'validation share with --folds 1', number(0))
    .option(
      '--pretrained <name>',
      'encoder weights of the segmenter: imagenet, a catalog name (pneumo weights list) or a file',
    )
    .addOption(rleOption())
    .option('--seg-model <name>', 'segmenter architecture (pneumo models)')
    .option('--seg-epochs <n>', 'segmenter epochs', integer(1))
    .option('--cls-model <name>', 'classifier architecture')
    .option('--cls-epochs <n>', 'classifier epochs', integer(1))
    .option('--max-batches <n>', 'stop each epoch after N batches (smoke runs, benchmarks)', integer(1))
    .addOption(new Option('--precision <p>', 'fp32, bf16, or fp16 (CUDA)').choices(['fp32', 'bf16', 'fp16']))
    .option('--device <d>', 'auto, cpu, cuda or cuda:N')
    .option('--labels <csv>', "label CSV instead of the folder's own")
    .option('--test <dir>', 'a folder to predict after the fit: submission.csv (Kaggle format)')
    .option(THREADS_OPTION.flags, THREADS_OPTION.description, THREADS_OPTION.parse)
    .option('--restart', 'remove what an earlier fit left in OUT and start over')
    .option('--print-plan', 'print the resolved plan and its projected wall time here; train nothing')
    .option('--project-images <n>', 'films the projection counts (the full SIIM-ACR set)', integer(1), 12047)
    .option('--json', 'print the result (fit.json, or the plan) as JSON on stdout')
    .addHelpText('after', HELP_AFTER);
  return command.action(
    runAction(async (opts: FitCliOptions) => {
      const { resolveFitPlan, parseSetting } = await import('../fit/fit-plan.js');
      const { readConfigFile, ConfigError } = await import('../train/config.js');
      const layers: { source: string; settings: Record<string, unknown> }[] = [];
      let plan;
      try {
        if (opts.config) layers.push({ source: `config ${opts.config}`, settings: readConfigFile(opts.config) });
        for (const s of opts.set) layers.push({ source: `--set ${s}`, settings: parseSetting(s) });
        layers.push({ source: 'flags', settings: flagSettings(opts) });
        plan = resolveFitPlan(opts.preset, layers);
      } catch (err) {
        if (err instanceof ConfigError) throw new UsageError(err.message);
        throw err;
      }
      if (opts.printPlan) return printPlan(plan, opts);
      if (!opts.data || !opts.out) throw new UsageError('fit needs --data DIR and --out DIR (or --print-plan)');
      const { resolveCompute } = await import('./compute-options.js');
      const compute = await resolveCompute({
        precision: plan.precision,
        device: plan.device as import('../torch/compute-names.js').DeviceRequest,
      });
      const { runFit } = await import('../fit/run-fit.js');
      const { progressReporter } = await import('./progress.js');
      const { trainProgress } = await import('./train-progress.js');
      const say = (line: string) => process.stderr.write(line + '\n');
      const result = await runFit(
        {
          data: opts.data,
          out: opts.out,
          plan,
          ...(opts.labels ? { labels: opts.labels } : {}),
          ...(opts.test ? { test: opts.test } : {}),
          threads: opts.threads,
          compute,
          restart: Boolean(opts.restart),
        },
        {
          stage: (i, n, title) => say(`\n[${i}/${n}] ${title}`),
          note: (line) => say(`  ${line}`),
          progress: (label, total, startedAt) => progressReporter(label, total, { unit: 'images', startedAt }),
          training: (epochs, label) => trainProgress(epochs, 10000, label),
        },
      );
      const f = (v: number | null) => (v === null ? 'n/a' : v.toFixed(3));
      const op = result.operatingPoint;
      if (opts.json) process.stdout.write(JSON.stringify(result) + '\n');
      else
        process.stdout.write(
          [
            '',
            `${op.on} (${op.images} images): classifier ROC AUC ${f(op.rocAuc)}, segmenter Dice on positives ${f(op.dicePositive)}, pipeline SIIM ${f(op.siimScore)}; thresholds classifier ${result.thresholds.classifier}, pixel ${result.thresholds.pixel}, minimum area ${result.thresholds.minArea}`,
            ...(result.test ? [`test: ${result.test.images} images, submission ${result.test.submission}`] : []),
            `${(result.seconds.total / 60).toFixed(1)} minutes; bundle: ${result.files.bundle}; report: ${result.files.report}`,
          ].join('\n') + '\n',
        );
      if (result.failures.length > 0) {
        say(`pneumo: ${result.failures.length} item(s) failed:`);
        for (const line of result.failures) say(`  ${line}`);
        return 1;
      }
    }),
  );
}

async function printPlan(plan: import('../report/fit-summary.js').FitPlan, opts: FitCliOptions): Promise<void> {
  const { measureStepTimes, projectWallTime, SIIM_FULL } = await import('../fit/projection.js');
  let share = SIIM_FULL.positiveShare;
  let shareSource = 'SIIM-ACR stage 2 (about 22% positive)';
  if (opts.data) {
    const { indexDataset } = await import('../data/dataset.js');
    const index = await indexDataset(opts.data, { rle: plan.rle, ...(opts.labels ? { labels: opts.labels } : {}) });
    if (index.items.length > 0) {
      share = index.positives / index.items.length;
      shareSource = `${opts.data} (${index.positives} of ${index.items.length} positive)`;
    }
  }
  if (opts.threads) (await import('../torch/index.js')).setNumThreads(opts.threads);
  const measured = measureStepTimes(plan);
  const projection = projectWallTime(plan, measured, opts.projectImages, share);
  if (opts.json) {
    process.stdout.write(JSON.stringify({ plan, measured, projection, positiveShareFrom: shareSource }) + '\n');
    return;
  }
  const { stringify } = await import('yaml');
  const ms = (s: number) => `${(s * 1000).toFixed(1)} ms`;
  const h = (s: number) => (s >= 5400 ? `${(s / 3600).toFixed(1)} h` : `${(s / 60).toFixed(1)} min`);
  process.stdout.write(
    [
      `# pneumo fit plan (preset ${plan.preset} with overrides); settable with --config, --set or flags`,
      stringify(plan).trimEnd(),
      '',
      `# measured here (${measured.device}, ${measured.precision}${measured.note ? `; ${measured.note}` : ''}), per image:`,
      ...(['segmenter', 'classifier'] as const).map(
        (r) =>
          `#   ${r} ${measured[r].model}: training ${ms(measured[r].trainSecondsPerImage)}, inference ${ms(measured[r].inferSecondsPerImage)} (batch ${measured[r].batch})`,
      ),
      `# projected for ${projection.images} films (${projection.positives} positive, share from ${shareSource}), ${plan.folds === 1 ? 'one split' : `${plan.folds} folds`}:`,
      `#   segmenter ${h(projection.seconds.segmenter)}, classifier ${h(projection.seconds.classifier)}, operating point ${h(projection.seconds.operatingPoint)}; total ${h(projection.seconds.total)} of model time`,
    ].join('\n') + '\n',
  );
}
