// `pneumo train classifier|segmenter`: flags over a config file over the defaults; the run folder gets
// config.json, checkpoints, metrics.csv, TensorBoard events, plots and run.json.
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { availableParallelism } from 'node:os';
import { Command, Option } from 'commander';
import { integer, number } from './option-parsers.js';
import { THREADS_OPTION } from './option-parsers.js';
import { runAction, UsageError } from './run-action.js';
import type { TrainConfig } from '../train/config.js';
import type { DeviceRequest, Precision } from '../torch/compute-names.js';
import { addComputeOptions, resolveCompute } from './compute-options.js';
import { rleOption, type RleOption } from './rle-option.js';

interface TrainFlags {
  data?: string;
  out?: string;
  config?: string;
  labels?: string;
  rle?: RleOption;
  model?: string;
  pretrained?: string;
  size?: number;
  epochs?: number;
  batch?: number;
  lr?: number;
  optimizer?: TrainConfig['optimizer'];
  weightDecay?: number;
  schedule?: TrainConfig['schedule'];
  warmupEpochs?: number;
  clipGradNorm?: number;
  earlyStopping?: number;
  monitor?: TrainConfig['monitor'];
  keepWeights?: TrainConfig['keepWeights'];
  validateEvery?: number;
  valFraction?: number;
  seed?: number;
  freezeEncoder?: boolean;
  unfreezeAfter?: number;
  positiveFraction?: string;
  oversample?: string;
  oversampleFactor?: number;
  loss?: string;
  posWeight?: number;
  auxHead?: boolean;
  auxLossWeight?: number;
  augment?: boolean;
  workers?: number;
  threads?: number;
  cacheDir?: string;
  maxBatches?: number;
  precision?: Precision;
  device?: DeviceRequest;
  resume?: boolean;
  json?: boolean;
  nprocPerNode?: number;
  nnodes?: number;
  nodeRank?: number;
  masterAddr?: string;
  masterPort?: number;
  distTimeout?: number;
  syncBn?: boolean;
}

/** The launcher's own flags, left out of the command each rank runs. */
const LAUNCH_FLAGS = ['--nproc-per-node', '--nnodes', '--node-rank', '--master-addr', '--master-port'];

/** The flags as config keys; absent flags stay undefined so they do not override the file. */
function flagsToConfig(f: TrainFlags): Partial<TrainConfig> {
  return {
    data: f.data,
    out: f.out,
    labels: f.labels,
    rle: f.rle,
    model: f.model,
    pretrained: f.pretrained,
    size: f.size,
    epochs: f.epochs,
    batchSize: f.batch,
    lr: f.lr,
    optimizer: f.optimizer,
    weightDecay: f.weightDecay,
    schedule: f.schedule,
    warmupEpochs: f.warmupEpochs,
    clipGradNorm: f.clipGradNorm === undefined ? undefined : f.clipGradNorm === 0 ? null : f.clipGradNorm,
    earlyStopping: f.earlyStopping,
    monitor: f.monitor,
    keepWeights: f.keepWeights,
    validateEvery: f.validateEvery,
    valFraction: f.valFraction,
    seed: f.seed,
    freezeEncoder: f.freezeEncoder || f.unfreezeAfter !== undefined ? true : undefined,
    unfreezeAfter: f.unfreezeAfter,
    positiveFraction: f.positiveFraction,
    oversample: f.oversample,
    oversampleFactor: f.oversampleFactor,
    auxLossWeight: f.auxLossWeight,
    augment: f.augment === false ? null : undefined,
    workers: f.workers,
    threads: f.threads,
    cacheDir: f.cacheDir,
    maxBatchesPerEpoch: f.maxBatches,
    precision: f.precision,
    device: f.device,
    syncBatchNorm: f.syncBn,
  };
}

export function trainCommand(): Command {
  const command = new Command('train')
    .description(
      'Train the classifier (all images, is there pneumothorax?) or the segmenter (U-Net, which pixels?) on a SIIM-format dataset',
    )
    .argument('<task>', 'classifier or segmenter')
    .option('--data <dir>', 'dataset folder: a label CSV (train-rle.csv or stage_2_train.csv) and DICOM files anywhere below it (the Kaggle tree or a flat folder)')
    .option(
      '--out <run>',
      'run folder: config.json, best.safetensors, checkpoints/, metrics.csv, tb/, plots/, run.json',
    )
    .option('--config <file>', 'settings as JSON or YAML (keys as in RUN/config.json); flags override them')
    .option('--labels <csv>', 'label CSV when it is not train-rle.csv or stage_2_train.csv inside --data')
    .addOption(rleOption())
    .option(
      '--model <name>',
      'model from the registry (pneumo models lists them); default classifier-resnet34 / unet-resnet34',
    )
    .option(
      '--pretrained <file|name>',
      "encoder weights: a name from `pneumo weights list` (downloaded into the cache if needed; `imagenet`: the encoder's ImageNet weights), or a .safetensors/.pth/.pt/.bin file (torchvision, timm, smp, torchxrayvision; a state dict, a dict holding one, or a whole pickled model; 3-channel first conv summed to 1), or a segmenter run's best.safetensors (its encoder is taken)",
    )
    .option('--size <n>', 'training image side in pixels, a multiple of 32 (default 256)', integer(32))
    .option('--epochs <n>', 'epochs to train (default 20)', integer(1))
    .option('--batch <n>', 'images per batch (default 16 classifier, 8 segmenter)', integer(1))
    .option('--lr <x>', 'peak learning rate (default 3e-4 classifier, 1e-3 segmenter)', number(0))
    .addOption(new Option('--optimizer <name>', 'optimizer (default adamw)').choices(['adamw', 'adam', 'sgd']))
    .option('--weight-decay <x>', 'weight decay (default 1e-4; decoupled for adamw)', number(0))
    .addOption(
      new Option(
        '--schedule <name>',
        'LR schedule: cosine with warm-up per step, step decay or reduce-on-plateau per epoch (default cosine)',
      ).choices(['cosine', 'step', 'plateau', 'none']),
    )
    .option('--warmup-epochs <n>', 'cosine: epochs of linear warm-up (default 1)', integer(0))
    .option(
      '--clip-grad-norm <x>',
      'clip the global gradient norm to this (default 5; 0 turns clipping off)',
      number(0),
    )
    .option('--early-stopping <n>', 'stop after n epochs without improvement of the monitored metric', integer(1))
    .addOption(
      new Option(
        '--monitor <metric>',
        'validation metric that picks the best checkpoint: auc, recall, f1 (classifier); dice, iou over positive images, aux_auc of the image logit (segmenter); or loss',
      ).choices(['auc', 'recall', 'f1', 'dice', 'iou', 'aux_auc', 'loss']),
    )
    .addOption(
      new Option(
        '--keep-weights <epoch>',
        "which epoch's weights become RUN/best.safetensors: best (by --monitor, the default) or last",
      ).choices(['best', 'last']),
    )
    .option(
      '--validate-every <n>',
      'validate after every n-th epoch and the last (default 1); only validated epochs can be the best',
      integer(1),
    )
    .option('--val-fraction <x>', 'share of each class held out for validation (default 0.2)', number(0))
    .option('--seed <n>', 'seed of the split, the data order, augmentation and the engine (default 1)', integer(0))
    .option('--freeze-encoder', 'train the head only, the (pretrained) encoder stays as it is')
    .option(
      '--unfreeze-after <n>',
      'with a frozen encoder: train it too from epoch n+1 (implies --freeze-encoder)',
      integer(0),
    )
    .option(
      '--positive-fraction <spec>',
      'share of positive images per epoch: balanced, 0.6, 0.8:0.4 (linear over the run) or 0.8:0.4:10; the segmenter uses positives only without it',
    )
    .option(
      '--oversample <file>',
      'image ids to see more often (a CSV of hard examples from pneumo evaluate, or one id per line)',
    )
    .option('--oversample-factor <x>', 'how many times as often (default 3)', number(0))
    .option(
      '--loss <name>',
      'loss: bce or focal (classifier, default bce); bce-dice (default), dice, focal, lovasz, bce-dice-focal (segmenter)',
    )
    .option('--pos-weight <x>', 'weight of positive pixels or images in the BCE term', number(0))
    .option('--aux-head', 'segmenter: add an image-level "is there pneumothorax" head trained jointly')
    .option('--aux-loss-weight <x>', 'weight of the aux head BCE in the segmenter loss (default 0.2)', number(0))
    .option('--no-augment', 'no augmentation (default: flips, shift-scale-rotate, brightness/contrast, gamma)')
    .option('--workers <n>', 'loader worker threads (default: cores - 1, at most 4)', integer(1))
    .option(THREADS_OPTION.flags, THREADS_OPTION.description, THREADS_OPTION.parse)
    .option('--cache-dir <dir>', 'resized-image cache (default RUN/cache)')
    .option('--max-batches <n>', 'cut every epoch after n batches (smoke runs)', integer(1))
    .option(
      '--resume',
      'continue the run in --out from its last checkpoint (its config.json is the base; flags such as --epochs override)',
    )
    .option('--json', 'print the result as JSON on stdout')
    .option(
      '--nproc-per-node <n>',
      'data parallel: start n ranks on this machine (as torchrun), each with cores / n threads; rank 0 writes the run',
      integer(1),
    )
    .option('--nnodes <n>', 'with --nproc-per-node: machines in the job (default 1)', integer(1))
    .option('--node-rank <r>', 'with --nproc-per-node: this machine, 0 .. nnodes-1 (default 0)', integer(0))
    .option(
      '--master-addr <host>',
      "with --nproc-per-node: node 0's address, reachable by every node (default 127.0.0.1)",
    )
    .option('--master-port <port>', 'with --nproc-per-node: the rendezvous port on node 0 (default 29500)', integer(1))
    .option(
      '--sync-bn',
      "data parallel: batch-norm statistics over every rank's batch (SyncBatchNorm), as one process with the whole batch",
    )
    .option(
      '--dist-timeout <s>',
      'data parallel: seconds to wait for the other ranks at the start and in every exchange (default 300)',
      number(0.1),
    );
  return addComputeOptions(command)
    .addHelpText(
      'after',
      `
Examples:
  pneumo train classifier --data data/siim --out runs/cls --model classifier-resnet34 --epochs 10
  pneumo train segmenter --data data/siim --out runs/seg --positive-fraction 0.8:0.4 --aux-head
  pneumo train segmenter --out runs/seg --resume --epochs 30
  pneumo train classifier --data data/siim --out runs/cls --nproc-per-node 2
  pneumo train classifier ... --nproc-per-node 4 --nnodes 2 --node-rank 0 --master-addr node0.cluster
Data parallel: ranks also start from torchrun's variables (RANK, LOCAL_RANK, WORLD_SIZE,
LOCAL_WORLD_SIZE, MASTER_ADDR, MASTER_PORT; GLOO_SOCKET_IFNAME picks the interface), so
torchrun --nproc_per_node 2 --no_python pneumo train ... works too. --batch is per rank.
The best weights (by --monitor on validation; the last epoch's with --keep-weights last) are
RUN/best.safetensors; the classifier's proposed
threshold (max F1 on validation) is in RUN/run.json. Killing the run at any moment leaves a valid
checkpoint for --resume.`,
    )
    .action(
      runAction(async (task: string, flags: TrainFlags) => {
        if (task !== 'classifier' && task !== 'segmenter')
          throw new UsageError(`unknown task \`${task}\`, expected classifier or segmenter`);
        const { rankFromEnv } = await import('../torch/distributed/env.js');
        if (flags.nprocPerNode !== undefined) {
          if (rankFromEnv()) throw new UsageError('--nproc-per-node starts ranks; this process is one already');
          return launch(flags);
        }
        if (flags.nnodes !== undefined || flags.nodeRank !== undefined || flags.masterAddr || flags.masterPort)
          throw new UsageError('--nnodes, --node-rank, --master-addr and --master-port go with --nproc-per-node');
        const rank = rankFromEnv();
        const { readConfigFile, resolveTrainConfig } = await import('../train/config.js');
        let settings: Record<string, unknown> = {};
        let source = 'flags';
        if (flags.resume) {
          if (!flags.out) throw new UsageError('--resume needs --out RUN');
          const saved = path.join(flags.out, 'config.json');
          if (!existsSync(saved)) throw new UsageError(`nothing to resume: ${saved} does not exist`);
          settings = JSON.parse(readFileSync(saved, 'utf8')) as Record<string, unknown>;
          source = saved;
        }
        if (flags.config) {
          settings = { ...settings, ...readConfigFile(flags.config) };
          source = flags.config;
        }
        const overrides = flagsToConfig(flags);
        const fromFlags = new Set(
          Object.keys(overrides).filter((k) => overrides[k as keyof TrainConfig] !== undefined),
        );
        if (flags.loss !== undefined || flags.posWeight !== undefined) fromFlags.add('loss');
        const config = asUsage(() => resolveTrainConfig(task, settings, overrides, source), fromFlags);
        if (flags.loss !== undefined) config.loss = { ...config.loss, name: flags.loss as TrainConfig['loss']['name'] };
        if (flags.posWeight !== undefined) config.loss = { ...config.loss, posWeight: flags.posWeight };
        if (flags.auxHead) {
          if (task !== 'segmenter') throw new UsageError('--aux-head is for the segmenter');
          config.modelOptions = { ...config.modelOptions, auxHead: true };
        }
        // Re-check after the loss and model options flags.
        const checked = asUsage(() => resolveTrainConfig(task, { ...config }, {}, source), fromFlags);
        await checkSettingsBeforeData(checked, fromFlags);
        await resolveCompute(checked);
        const { trainProgress } = await import('./train-progress.js');
        const { runTraining } = await import('../train/run-training.js');
        if (rank) {
          // This machine's cores are shared among its ranks: compute threads and loader workers alike.
          const share = Math.max(1, Math.floor(availableParallelism() / rank.localWorldSize));
          if (checked.threads === null && !process.env.PNEUMO_THREADS) checked.threads = share;
          if (checked.workers === null) checked.workers = Math.max(1, Math.min(4, share - 1));
        }
        // Rank 0 speaks for the job and writes its plots; the others report only their errors.
        const speaks = !rank || rank.rank === 0;
        const reporter = speaks ? trainProgress(checked.epochs) : undefined;
        const result = await runTraining({
          config: checked,
          resume: Boolean(flags.resume),
          reporter,
          ...(rank ? { rank } : {}),
          ...(flags.distTimeout !== undefined ? { distributedTimeoutMs: flags.distTimeout * 1000 } : {}),
        });
        if (!speaks) return;
        const { writeTrainingPlots } = await import('../report/training-plots.js');
        const plots = await writeTrainingPlots(checked.out, result.history, checked.task).catch((err: Error) => {
          process.stderr.write(`pneumo: plots not written: ${err.message}\n`);
          return [];
        });
        const summary = {
          run: path.resolve(result.run),
          task: checked.task,
          model: checked.model,
          stopReason: result.stopReason,
          epochs: result.history.length,
          monitor: result.monitor,
          best: result.best,
          threshold: result.threshold,
          trainImages: result.trainImages,
          validationImages: result.validationImages,
          skippedImages: result.failures.length,
          plots,
        };
        if (flags.json) process.stdout.write(JSON.stringify(summary) + '\n');
        else {
          process.stdout.write(
            `${checked.task} trained: ${result.history.length} epochs (${result.stopReason}); best validation ${result.monitor} ${result.best ? result.best.value.toFixed(4) : 'n/a'} at epoch ${result.best?.epoch ?? '-'}\n`,
          );
          if (result.threshold !== null)
            process.stdout.write(
              `proposed classifier threshold ${result.threshold.toFixed(4)} (${checked.thresholdObjective} on validation)\n`,
            );
          process.stdout.write(`run folder ${path.resolve(result.run)}\n`);
        }
        if (result.failures.length > 0) {
          process.stderr.write(
            `pneumo: ${result.failures.length} images could not be read and were skipped (listed above)\n`,
          );
          return 1;
        }
      }),
    );
}

/**
 * A setting refused because of a flag's value is a usage error (exit 2), like a value commander's
 * parsers refuse; one refused in a config file is a failed run (exit 1), as any unusable input file.
 */
function asUsage<T>(resolve: () => T, fromFlags: ReadonlySet<string>): T {
  try {
    return resolve();
  } catch (err) {
    if (err instanceof Error && err.name === 'ConfigError') {
      const setting = (err as { setting?: string }).setting;
      if (setting !== undefined && fromFlags.has(setting)) throw new UsageError(err.message);
    }
    throw err;
  }
}

/**
 * The model name and task and the positive-fraction schedule, which training would only refuse after
 * indexing the dataset: refused now, as a usage error when the value came from a flag.
 */
async function checkSettingsBeforeData(config: TrainConfig, fromFlags: ReadonlySet<string>): Promise<void> {
  const { getModelEntry, ModelConfigError } = await import('../models/registry.js');
  const { parsePositiveFraction } = await import('../data/sampler.js');
  const refuse = (setting: string, message: string): never => {
    throw fromFlags.has(setting) ? new UsageError(message) : new Error(message);
  };
  try {
    const entry = getModelEntry(config.model);
    const wanted = config.task === 'classifier' ? 'classification' : 'segmentation';
    if (entry.task !== wanted)
      refuse('model', `${config.model} is a ${entry.task} model; \`train ${config.task}\` needs a ${wanted} model`);
  } catch (err) {
    if (err instanceof ModelConfigError) refuse('model', err.message);
    throw err;
  }
  try {
    if (config.positiveFraction !== null) parsePositiveFraction(config.positiveFraction, config.epochs);
  } catch (err) {
    if (err instanceof Error && err.name === 'SamplerError') refuse('positiveFraction', err.message);
    throw err;
  }
}

/** `--nproc-per-node N`: this command again in N child processes, one rank each. */
async function launch(flags: TrainFlags): Promise<number> {
  const { checkLaunch, launchRanks, withoutLaunchFlags } = await import('../train/launch.js');
  const layout = {
    nprocPerNode: flags.nprocPerNode!,
    nnodes: flags.nnodes ?? 1,
    nodeRank: flags.nodeRank ?? 0,
    masterPort: flags.masterPort ?? 29500,
  };
  try {
    checkLaunch(layout);
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  const result = await launchRanks({
    command: [process.execPath, process.argv[1], ...withoutLaunchFlags(process.argv.slice(2), LAUNCH_FLAGS)],
    ...layout,
    masterAddr: flags.masterAddr ?? '127.0.0.1',
    ...(flags.threads !== undefined ? { threadsPerRank: flags.threads } : {}),
    onEvent: (text) => process.stderr.write(`pneumo launch: ${text}\n`),
  });
  if (result.failure)
    throw new Error(`rank ${result.failure.rank} ${result.failure.reason}; the other local ranks were stopped`);
  return result.code;
}
