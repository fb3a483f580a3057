// The training loop shared by the classifier and the segmenter: epochs of optimizer steps on the
// training batches, then a pass over the validation batches, with the LR schedule, gradient clipping,
// non-finite loss detection, best and last checkpoints, early stopping, metrics.csv and TensorBoard
// events. Deterministic: the engine's generator is reseeded from (seed, epoch) at the start of every
// epoch and the loader's order and augmentation depend on (seed, epoch) only, so a resumed run takes
// the same steps as one that never stopped. Data parallel (`distributed`): every rank runs this loop
// on its own share of each epoch; c10d's Reducer averages the gradients during backward, so every rank
// takes the same step; each rank validates its share of the validation set and the per-image results
// are gathered to every rank (the same metrics as one process, so the same early-stopping and LR
// decisions everywhere); rank 0 alone writes the run folder.
// The model, batches and loss live on the configured device;
// with bf16 or fp16 the forward pass runs under autocast and the loss is computed in fp32 on outputs
// cast back to it; fp16 adds dynamic loss scaling (GradScaler), whose skipped steps are reported.
import path from 'node:path';
import { existsSync, mkdirSync } from 'node:fs';
import * as torch from '../torch/index.js';
import type { Tensor } from '../torch/index.js';
import {
  AdamW,
  Adam,
  SGD,
  CosineWarmup,
  StepDecay,
  ReduceOnPlateau,
  clipGradNorm,
  GradScaler,
} from '../torch/optim/index.js';
import type { Optimizer, LrSchedule } from '../torch/optim/index.js';
import type { Batch } from '../data/loader.js';
import type { TrainConfig } from './config.js';
import type { BatchSource } from './batch-source.js';
import { taskFor, type PhaseMetrics, type TrainTask } from './tasks.js';
import type { TrainableModel } from './trainable-model.js';
import { writeHistoryCsv, type EpochRecord } from './history.js';
import { RUN_FORMAT, RUN_FORMAT_VERSION, writeRunManifest, type RunStatus } from './run-manifest.js';
import { modelInput } from '../data/model-input.js';
import { EpochSelection } from './epoch-selection.js';
import {
  readLastCheckpoint,
  restoreCheckpoint,
  saveBestWeights,
  saveLastCheckpoint,
  type SaveHooks,
  type TrainingState,
} from './checkpoint.js';
import { TensorBoardWriter } from './logs/tensorboard.js';
import { gatherRows } from './gather-rows.js';
import { writeJsonAtomic } from '../atomic-file.js';
import { engineInfo } from '../torch/engine-info.js';
import { DataParallel, convertSyncBatchNorm, type ProcessGroup } from '../torch/distributed/index.js';

export class NonFiniteLossError extends Error {
  override name = 'NonFiniteLossError';
}

export class ResumeError extends Error {
  override name = 'ResumeError';
}

export type Phase = 'train' | 'validation';

/** What the loop tells whoever shows progress (the CLI draws bars from it). */
export interface TrainReporter {
  phaseStart?(info: { epoch: number; epochs: number; phase: Phase; batches: number }): void;
  batch?(info: {
    epoch: number;
    phase: Phase;
    batch: number;
    batches: number;
    images: number;
    loss: number;
    imagesPerSecond: number;
  }): void;
  phaseEnd?(info: { epoch: number; phase: Phase }): void;
  epochEnd?(record: EpochRecord, info: { best: boolean; monitor: string }): void;
  message?(text: string): void;
}

export interface TrainerOptions {
  config: TrainConfig;
  model: TrainableModel;
  train: BatchSource;
  validation: BatchSource;
  /** Continue from RUN/checkpoints/last.json. */
  resume?: boolean;
  reporter?: TrainReporter;
  /** Extra facts for run.json (data folder, split, versions). */
  provenance?: Record<string, unknown>;
  /** Stop after this many epochs of this call (tests: "crash" after epoch 1). */
  stopAfterEpochs?: number;
  saveHooks?: SaveHooks;
  /**
   * Data-parallel training in this process group: each rank passes its own share of the training
   * batches and of the validation set (shardEpoch without padding).
   */
  distributed?: DistributedTraining;
}

export interface DistributedTraining {
  group: ProcessGroup;
  /** Gradient bucket size (default 25 MiB, as PyTorch). */
  bucketMiB?: number;
}

export type StopReason = 'completed' | 'early-stopping' | 'interrupted';

export interface TrainResult {
  history: EpochRecord[];
  best: { epoch: number; value: number } | null;
  /** The epoch whose weights are in RUN/best.safetensors (the best one, or the last with keepWeights 'last'). */
  kept: { epoch: number; value: number | null; rule: 'best' | 'last' } | null;
  monitor: string;
  threshold: number | null;
  stopReason: StopReason;
  epochsRun: number;
}

/** A 31-bit seed for the engine's generator at an epoch, from the run seed. */
export function epochSeed(seed: number, epoch: number): number {
  let h = (seed ^ 0x9e3779b9) >>> 0;
  h = Math.imul(h ^ (epoch + 1), 0x85ebca6b) >>> 0;
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35) >>> 0;
  return (h ^ (h >>> 16)) & 0x7fffffff;
}

export function makeOptimizer(config: TrainConfig, parameters: Tensor[]): Optimizer {
  const { lr, weightDecay } = config;
  if (config.optimizer === 'sgd')
    return new SGD(parameters, { lr, weightDecay, momentum: config.momentum, nesterov: config.momentum > 0 });
  if (config.optimizer === 'adam') return new Adam(parameters, { lr, weightDecay });
  return new AdamW(parameters, { lr, weightDecay });
}

/** The schedule and whether it steps per optimizer step (cosine) or per epoch (step, plateau). */
export function makeSchedule(
  config: TrainConfig,
  optimizer: Optimizer,
  stepsPerEpoch: number,
  higherIsBetter: boolean,
): { schedule: LrSchedule | null; perStep: boolean } {
  switch (config.schedule) {
    case 'cosine': {
      const totalSteps = Math.max(1, config.epochs * stepsPerEpoch);
      const warmupSteps = Math.min(config.warmupEpochs * stepsPerEpoch, totalSteps - 1);
      return {
        schedule: new CosineWarmup(optimizer, { totalSteps, warmupSteps, warmupStartFactor: 0.1 }),
        perStep: true,
      };
    }
    case 'step':
      return {
        schedule: new StepDecay(optimizer, { stepSize: config.stepEpochs, gamma: config.gamma }),
        perStep: false,
      };
    case 'plateau':
      return {
        schedule: new ReduceOnPlateau(optimizer, {
          mode: higherIsBetter ? 'max' : 'min',
          factor: config.gamma,
          patience: config.plateauPatience,
        }),
        perStep: false,
      };
    case 'none':
      return { schedule: null, perStep: false };
  }
}

function batchTensors(batch: Batch, device: string): { images: Tensor; masks: Tensor; labels: Tensor } {
  const { n, height, width } = batch;
  // To a GPU through pinned host memory, without blocking: the copy overlaps the previous step's tail.
  const onDevice = (t: Tensor) => (torch.isCuda(device) ? torch.toDevice(torch.pinMemory(t), device, true) : t);
  return {
    images: onDevice(torch.tensor(batch.images, [n, 1, height, width])),
    masks: onDevice(torch.tensor(batch.masks, [n, 1, height, width])),
    labels: onDevice(torch.tensor(batch.labels, [n])),
  };
}

interface PhaseResult {
  loss: number;
  metrics: PhaseMetrics;
  images: number;
  seconds: number;
  threshold: number | null;
}

class Trainer {
  readonly task: TrainTask;
  readonly optimizer: Optimizer;
  readonly schedule: LrSchedule | null;
  readonly perStepSchedule: boolean;
  readonly stepsPerEpoch: number;
  readonly monitor: string;
  readonly higherIsBetter: boolean;
  /** The concrete device ('cpu', 'cuda:0'). */
  readonly device: string;
  readonly scaler: GradScaler;
  /** fp16 steps skipped for non-finite gradients, this run. */
  skippedSteps = 0;
  history: EpochRecord[] = [];
  /** The best and kept epochs and early stopping. */
  readonly selection: EpochSelection;
  /** Images of the last validation (the split the proposed threshold is chosen on). */
  validationImages: number | null = null;
  startEpoch = 0;
  private globalStep = 0;
  private tensorboard: TensorBoardWriter | null = null;
  private dataParallel: DataParallel | null = null;
  /** Rank 0 (or the only process) writes the run folder. */
  readonly writes: boolean;

  constructor(private readonly o: TrainerOptions) {
    const { config, model } = o;
    this.task = taskFor(config);
    this.monitor = config.monitor;
    this.higherIsBetter = this.task.higherIsBetter(config.monitor);
    this.device = torch.resolveDevice(config.device);
    torch.checkPrecision(config.precision, this.device);
    this.scaler = new GradScaler({ enabled: config.precision === 'fp16' });
    // Before the optimizer is made: it holds the parameters themselves.
    if (this.device !== 'cpu') model.to(this.device);
    this.optimizer = makeOptimizer(config, model.parameters());
    this.stepsPerEpoch = Math.max(1, o.train.batchCount(0));
    const { schedule, perStep } = makeSchedule(config, this.optimizer, this.stepsPerEpoch, this.higherIsBetter);
    this.schedule = schedule;
    this.perStepSchedule = perStep;
    this.writes = (o.distributed?.group.rank ?? 0) === 0;
    this.selection = new EpochSelection({
      monitor: this.monitor,
      higherIsBetter: this.higherIsBetter,
      keepWeights: config.keepWeights,
      earlyStopping: config.earlyStopping,
    });
  }

  private get best() {
    return this.selection.best;
  }

  private get kept() {
    return this.selection.kept;
  }

  private get run(): string {
    return this.o.config.out;
  }

  private report(text: string): void {
    this.o.reporter?.message?.(text);
  }

  prepare(): void {
    const { config, model } = this.o;
    const existing = readLastCheckpoint(this.run);
    if (this.o.resume) {
      if (!existing) throw new ResumeError(`nothing to resume in ${this.run}: it has no checkpoints/last.json`);
      this.restore(existing);
    } else if (existing) {
      throw new ResumeError(
        `${this.run} already holds a run (epoch ${existing.epoch} saved); pass --resume to continue it or choose another --out`,
      );
    }
    if (this.writes) {
      mkdirSync(this.run, { recursive: true });
      writeJsonAtomic(path.join(this.run, 'config.json'), config);
      this.tensorboard = new TensorBoardWriter(path.join(this.run, 'tb'));
    }
    if (config.freezeEncoder) {
      if (!model.freezeEncoder) throw new Error(`${config.model} has no encoder to freeze`);
      model.freezeEncoder(!this.unfrozenAt(this.startEpoch));
    }
    // Rank 0's weights and buffers everywhere, whatever each rank initialised or restored.
    if (this.o.distributed) {
      if (config.syncBatchNorm) convertSyncBatchNorm(model, this.o.distributed.group);
      this.dataParallel = new DataParallel(this.o.distributed.group, model, {
        bucketMiB: this.o.distributed.bucketMiB,
      });
    }
  }

  private restore(state: TrainingState): void {
    const { config, model } = this.o;
    if (state.task !== config.task || state.model !== config.model)
      throw new ResumeError(
        `${this.run} holds a ${state.task} ${state.model}; this command trains a ${config.task} ${config.model}`,
      );
    if (state.epoch >= config.epochs)
      throw new ResumeError(`${this.run} has finished its ${state.epoch} epochs; raise --epochs to train further`);
    restoreCheckpoint(this.run, state, model, this.optimizer);
    if (this.schedule && state.schedule) this.schedule.loadStateDict(state.schedule);
    this.history = state.history;
    this.selection.restore(state.history, state.best, state.epochsWithoutImprovement);
    this.startEpoch = state.epoch;
    this.globalStep = state.epoch * this.stepsPerEpoch;
    this.report(`resuming ${this.run} after epoch ${state.epoch} of ${config.epochs}`);
  }

  private unfrozenAt(epoch: number): boolean {
    const { freezeEncoder, unfreezeAfter } = this.o.config;
    return !freezeEncoder || (unfreezeAfter !== null && epoch >= unfreezeAfter);
  }

  private async runPhase(phase: Phase, epoch: number, source: BatchSource): Promise<PhaseResult> {
    const { model, config, reporter } = this.o;
    const training = phase === 'train';
    model.train(training);
    const accumulator = this.task.accumulator();
    const batches = source.batchCount(epoch);
    reporter?.phaseStart?.({ epoch: epoch + 1, epochs: config.epochs, phase, batches });
    const started = performance.now();
    let lossSum = 0;
    let images = 0;
    let index = 0;
    for await (const batch of source.batches(epoch)) {
      const loss = training
        ? this.trainStep(batch, epoch, index, accumulator)
        : this.validationStep(batch, accumulator);
      lossSum += loss * batch.n;
      images += batch.n;
      index++;
      const seconds = (performance.now() - started) / 1000;
      reporter?.batch?.({
        epoch: epoch + 1,
        phase,
        batch: index,
        batches,
        images,
        loss: lossSum / images,
        imagesPerSecond: images / Math.max(seconds, 1e-9),
      });
    }
    reporter?.phaseEnd?.({ epoch: epoch + 1, phase });
    if (this.o.distributed) {
      // The epoch's loss and image count over every rank's share; validation's per-image results too.
      const { group } = this.o.distributed;
      [lossSum, images] = group.allReduceNumbers([lossSum, images]);
      if (!training) gatherRows(group, accumulator);
    }
    if (images === 0)
      throw new Error(
        `epoch ${epoch + 1}: the ${phase} data gave no batch (every item failed to load, or there are none)`,
      );
    return {
      loss: lossSum / images,
      metrics: accumulator.summary(),
      images,
      seconds: (performance.now() - started) / 1000,
      threshold: accumulator.threshold?.() ?? null,
    };
  }

  private trainStep(
    batch: Batch,
    epoch: number,
    index: number,
    accumulator: ReturnType<TrainTask['accumulator']>,
  ): number {
    const { model, config } = this.o;
    const value = torch.scope(() => {
      const tensors = batchTensors(batch, this.device);
      this.dataParallel?.beforeForward();
      const output = this.forward(tensors.images);
      const loss = this.task.loss(output, tensors);
      const v = loss.item();
      if (!Number.isFinite(v))
        throw new NonFiniteLossError(
          `non-finite loss (${v}) at epoch ${epoch + 1}, step ${index + 1} (global step ${this.globalStep + 1}): lower --lr or set clipGradNorm; the last checkpoint is intact`,
        );
      this.optimizer.zeroGrad();
      // With data parallel, the gradients are every rank's average when backward returns.
      const scaled = this.scaler.scaleLoss(loss);
      if (this.dataParallel) this.dataParallel.backward(scaled);
      else scaled.backward();
      this.scaler.unscale(model.parameters());
      if (config.clipGradNorm !== null) {
        const norm = clipGradNorm(model.parameters(), config.clipGradNorm);
        // Under fp16 a non-finite norm is an overflow of the scaled gradients: the scaler skips the step.
        if (!Number.isFinite(norm) && !this.scaler.enabled)
          throw new NonFiniteLossError(
            `non-finite gradient norm (${norm}) at epoch ${epoch + 1}, step ${index + 1} (global step ${this.globalStep + 1}): lower --lr; the last checkpoint is intact`,
          );
      }
      if (!this.scaler.step(this.optimizer, model.parameters())) this.skippedSteps++;
      this.scaler.update();
      accumulator.add(batch, output);
      return v;
    });
    this.globalStep++;
    if (this.perStepSchedule) this.schedule?.step();
    return value;
  }

  /** The model's output for a batch, in the run's precision, with floating outputs back in fp32. */
  private forward(images: Tensor): ReturnType<TrainableModel['forward']> {
    const { config, model } = this.o;
    return torch.toFloat32(torch.withPrecision(config.precision, this.device, () => model.forward(images)));
  }

  private validationStep(batch: Batch, accumulator: ReturnType<TrainTask['accumulator']>): number {
    return torch.scope(() =>
      torch.noGrad(() => {
        const tensors = batchTensors(batch, this.device);
        const output = this.forward(tensors.images);
        accumulator.add(batch, output);
        return this.task.loss(output, tensors).item();
      }),
    );
  }

  async fit(): Promise<TrainResult> {
    const { config, model, reporter } = this.o;
    const lastEpoch =
      this.o.stopAfterEpochs === undefined
        ? config.epochs
        : Math.min(config.epochs, this.startEpoch + this.o.stopAfterEpochs);
    let stopReason: StopReason = 'completed';
    let epochsRun = 0;
    try {
      for (let epoch = this.startEpoch; epoch < lastEpoch; epoch++) {
        torch.manualSeed(epochSeed(config.seed, epoch));
        if (config.freezeEncoder && model.freezeEncoder) {
          const unfrozen = this.unfrozenAt(epoch);
          if (unfrozen && epoch === config.unfreezeAfter) this.report(`epoch ${epoch + 1}: unfreezing the encoder`);
          model.freezeEncoder(!unfrozen);
        }
        const started = performance.now();
        const train = await this.runPhase('train', epoch, this.o.train);
        // Validation touches neither the weights nor the generators (each epoch reseeds them), so
        // skipping it leaves training exactly as it was.
        const validated = (epoch + 1) % config.validateEvery === 0 || epoch + 1 === config.epochs;
        const validation = validated ? await this.runPhase('validation', epoch, this.o.validation) : null;
        if (validation) this.validationImages = validation.images;
        const record: EpochRecord = {
          epoch: epoch + 1,
          lr: 0,
          seconds: (performance.now() - started) / 1000,
          trainImagesPerSecond: train.images / Math.max(train.seconds, 1e-9),
          train: { loss: train.loss, ...train.metrics },
          validation: validation ? { loss: validation.loss, ...validation.metrics } : { loss: null },
          threshold: validation?.threshold ?? null,
          encoderFrozen: Boolean(config.freezeEncoder && !this.unfrozenAt(epoch)),
        };
        const value = this.selection.monitored(record);
        if (this.schedule && !this.perStepSchedule && (validated || config.schedule !== 'plateau'))
          this.schedule.step(
            config.schedule === 'plateau' ? (value ?? (this.higherIsBetter ? -Infinity : Infinity)) : undefined,
          );
        record.lr = this.optimizer.paramGroups[0].lr;
        const verdict = this.selection.observe(record, validated);
        if (verdict.keep && this.kept) {
          if (this.writes)
            saveBestWeights(
              this.run,
              model,
              {
                epoch: epoch + 1,
                monitor: this.monitor,
                value: value ?? Number.NaN,
                modelConfig: model.config ?? { name: config.model },
                threshold: record.threshold,
                kept: this.kept.rule,
              },
              record,
            );
        }
        this.history.push(record);
        if (this.writes) this.saveEpoch(epoch, record);
        reporter?.epochEnd?.(record, { best: verdict.best, monitor: this.monitor });
        epochsRun++;
        if (verdict.stop) {
          stopReason = 'early-stopping';
          this.report(
            `early stopping after epoch ${epoch + 1}: validation ${this.monitor} has not improved for ${this.selection.validationsWithoutImprovement} epochs`,
          );
          break;
        }
      }
      if (stopReason === 'completed' && lastEpoch < config.epochs) stopReason = 'interrupted';
      this.writeRunJson(stopReason === 'interrupted' ? 'interrupted' : 'finished', stopReason);
    } catch (err) {
      this.writeRunJson('failed', undefined, (err as Error).message);
      throw err;
    } finally {
      this.tensorboard?.close();
      this.dataParallel?.dispose();
      this.optimizer.dispose();
    }
    return {
      history: this.history,
      best: this.best ? { epoch: this.best.epoch, value: this.best.value } : null,
      kept: this.kept ? { epoch: this.kept.epoch, value: this.kept.value, rule: this.kept.rule } : null,
      monitor: this.monitor,
      threshold: this.kept?.threshold ?? null,
      stopReason,
      epochsRun,
    };
  }

  /** The last checkpoint, metrics.csv, TensorBoard events and run.json after an epoch. */
  private saveEpoch(epoch: number, record: EpochRecord): void {
    const { config, model } = this.o;
    saveLastCheckpoint(
      this.run,
      model,
      this.optimizer,
      {
        task: config.task,
        model: config.model,
        epoch: epoch + 1,
        seed: config.seed,
        schedule: this.schedule?.stateDict() ?? null,
        best: this.best ? { epoch: this.best.epoch, value: this.best.value } : null,
        epochsWithoutImprovement: this.selection.validationsWithoutImprovement,
        history: this.history,
      },
      this.o.saveHooks,
    );
    writeHistoryCsv(path.join(this.run, 'metrics.csv'), this.history);
    this.logTensorBoard(record);
    this.writeRunJson('running');
  }

  private logTensorBoard(record: EpochRecord): void {
    const tb = this.tensorboard!;
    const step = record.epoch;
    tb.scalar('lr', record.lr, step);
    tb.scalar('images_per_second/train', record.trainImagesPerSecond, step);
    for (const [k, v] of Object.entries(record.train)) if (v !== null) tb.scalar(`${k}/train`, v, step);
    for (const [k, v] of Object.entries(record.validation)) if (v !== null) tb.scalar(`${k}/validation`, v, step);
    tb.flush();
  }

  writeRunJson(status: RunStatus, stopReason?: StopReason, error?: string): void {
    const { config, model } = this.o;
    if (!this.writes || !existsSync(this.run)) return;
    writeRunManifest(this.run, {
      format: RUN_FORMAT,
      formatVersion: RUN_FORMAT_VERSION,
      status,
      stopReason: stopReason ?? null,
      error: error ?? null,
      task: config.task,
      model: { name: config.model, config: recordOf(model.config), parameters: model.parameterCount() },
      input: this.o.train.input ?? modelInput({ width: config.size, height: config.size }),
      data: {
        folder: path.resolve(config.data),
        labels: config.labels,
        valFraction: config.valFraction,
        splitSeed: config.seed,
      },
      monitor: this.monitor,
      best: this.best,
      kept: this.kept,
      threshold:
        config.task === 'classifier'
          ? {
              value: this.kept?.threshold ?? null,
              rule: config.thresholdObjective,
              from: `validation split, ${this.kept?.rule ?? 'best'} epoch${this.kept ? ` (${this.kept.epoch})` : ''}`,
              images: this.validationImages,
            }
          : null,
      pixelThreshold: config.task === 'segmenter' ? config.pixelThreshold : null,
      epochs: { planned: config.epochs, completed: this.history.length },
      weights: 'best.safetensors',
      versions: { node: process.versions.node, libtorch: torchVersion() },
      compute: {
        device: this.device,
        precision: config.precision,
        ...(this.scaler.enabled ? { lossScale: this.scaler.scale, skippedSteps: this.skippedSteps } : {}),
      },
      provenance: this.o.provenance ?? {},
      updatedAt: new Date().toISOString(),
    });
  }
}

/** A model's config as run.json records it: the registry's plain object, or empty for a model without one. */
function recordOf(config: unknown): Record<string, unknown> {
  return typeof config === 'object' && config !== null ? { ...(config as Record<string, unknown>) } : {};
}

function torchVersion(): string {
  try {
    return engineInfo().version;
  } catch {
    return 'unknown';
  }
}

/** Trains `model` as the config says, writing everything into config.out. */
export async function trainModel(options: TrainerOptions): Promise<TrainResult> {
  const trainer = new Trainer(options);
  trainer.prepare();
  return trainer.fit();
}
