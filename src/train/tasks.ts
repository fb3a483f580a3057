// What differs between training a classifier and a segmenter: how the model's output meets the batch
// (the loss), and what is measured per epoch. The loop in trainer.ts is the same for both.
import * as torch from '../torch/index.js';
import type { Tensor } from '../torch/index.js';
import type { Batch } from '../data/loader.js';
import type { TrainConfig } from './config.js';
import { bceWithLogitsLoss, makeLoss, type LossFn } from './losses/index.js';
import { summariseClassification } from '../metrics/classification.js';
import { proposeClassifierThreshold } from '../evaluate/operating-point.js';
import { scoreBatch } from '../metrics/batch-segmentation.js';
import { summariseSegmentation, type ImageSegmentationScore } from '../metrics/segmentation.js';
import type { SegmentationLogits, TrainableModel } from './trainable-model.js';

/** Metrics of one phase of an epoch; null where undefined (e.g. AUC without both classes). */
export type PhaseMetrics = Record<string, number | null>;

/** Collects what a phase's batches predicted, then summarises it. */
export interface MetricAccumulator {
  /** Adds one batch: `output` is the model's output for it (read, not kept). */
  add(batch: Batch, output: Tensor | SegmentationLogits): void;
  summary(): PhaseMetrics;
  /** Validation of a classifier: the threshold proposed for the classifier (F1 or Youden). */
  threshold?(): number | null;
  /** What was added, one row of numbers per image in the order added (to gather every rank's share). */
  rows(): number[][];
  /** Replaces what was added with these rows (the whole set's, from every rank). */
  setRows(rows: readonly (readonly number[])[]): void;
}

export interface TrainTask {
  /** The loss of a batch's output, a scalar tensor with autograd history. */
  loss(output: Tensor | SegmentationLogits, images: BatchTensors): Tensor;
  accumulator(): MetricAccumulator;
  /** The metric that is better when larger (false for loss). */
  higherIsBetter(monitor: string): boolean;
  /** Metric keys, in the order the CSV and the progress line show them. */
  readonly metricKeys: readonly string[];
}

export interface BatchTensors {
  images: Tensor;
  /** [N, 1, H, W] for the segmenter. */
  masks: Tensor;
  /** [N]. */
  labels: Tensor;
}

export class TaskError extends Error {
  override name = 'TaskError';
}

function asLogits(output: Tensor | SegmentationLogits, what: string): Tensor {
  if (output instanceof torch.Tensor) return output;
  throw new TaskError(`${what}: the model returned mask logits; train it as a segmenter`);
}

function asSegmentation(output: Tensor | SegmentationLogits, what: string): SegmentationLogits {
  if (output instanceof torch.Tensor)
    throw new TaskError(`${what}: the model returns one logit per image; train it as a classifier`);
  return output;
}

const sigmoidValues = (t: Tensor): Float32Array =>
  torch.scope(() => torch.noGrad(() => torch.sigmoid(t.detach()).toFloat32Array()));

class ClassificationAccumulator implements MetricAccumulator {
  private readonly scores: number[] = [];
  private readonly truth: number[] = [];

  constructor(
    private readonly objective: 'f1' | 'youden',
    private readonly prefix = '',
  ) {}

  addScores(probabilities: ArrayLike<number>, labels: ArrayLike<number>): void {
    for (let i = 0; i < probabilities.length; i++) {
      this.scores.push(probabilities[i]);
      this.truth.push(labels[i]);
    }
  }

  add(batch: Batch, output: Tensor | SegmentationLogits): void {
    this.addScores(sigmoidValues(asLogits(output, 'classifier')), batch.labels);
  }

  rows(): number[][] {
    return this.scores.map((s, i) => [s, this.truth[i]]);
  }

  setRows(rows: readonly (readonly number[])[]): void {
    this.scores.length = 0;
    this.truth.length = 0;
    for (const [score, truth] of rows) {
      this.scores.push(score);
      this.truth.push(truth);
    }
  }

  summary(): PhaseMetrics {
    if (this.scores.length === 0) return {};
    const s = summariseClassification(this.scores, this.truth, 0.5);
    const p = this.prefix;
    return {
      [`${p}auc`]: s.rocAuc,
      [`${p}prAuc`]: s.prAuc,
      [`${p}accuracy`]: s.accuracy,
      [`${p}recall`]: s.recall,
      [`${p}specificity`]: s.specificity,
      [`${p}precision`]: s.precision,
      [`${p}f1`]: s.f1,
    };
  }

  threshold(): number | null {
    return proposeClassifierThreshold(this.scores, this.truth, this.objective);
  }
}

export function classifierTask(config: TrainConfig): TrainTask {
  if (config.loss.name !== 'bce' && config.loss.name !== 'focal')
    throw new TaskError(`a classifier trains with the bce or focal loss, not ${config.loss.name}`);
  const loss = makeLoss(config.loss);
  return {
    loss: (output, batch) => loss(asLogits(output, 'classifier'), batch.labels),
    accumulator: () => new ClassificationAccumulator(config.thresholdObjective),
    higherIsBetter: (monitor) => monitor !== 'loss',
    metricKeys: ['auc', 'prAuc', 'accuracy', 'recall', 'specificity', 'precision', 'f1'],
  };
}

class SegmentationAccumulator implements MetricAccumulator {
  private readonly scores: ImageSegmentationScore[] = [];
  private aux: ClassificationAccumulator | null = null;

  constructor(private readonly pixelThreshold: number) {}

  add(batch: Batch, output: Tensor | SegmentationLogits): void {
    const { mask, label } = asSegmentation(output, 'segmenter');
    this.scores.push(...scoreBatch(batch.ids, sigmoidValues(mask), batch.masks, this.pixelThreshold));
    if (label) {
      this.aux ??= new ClassificationAccumulator('f1', 'aux_');
      this.aux.addScores(sigmoidValues(label), batch.labels);
    }
  }

  /** [dice, iou, truth positive, predicted positive] and, with an aux head, [probability, label]. */
  rows(): number[][] {
    const aux = this.aux?.rows();
    return this.scores.map((s, i) => [
      s.dice,
      s.iou,
      Number(s.truthPositive),
      Number(s.predictedPositive),
      ...(aux ? aux[i] : []),
    ]);
  }

  setRows(rows: readonly (readonly number[])[]): void {
    // The image ids stay with the rank that scored the image: the summaries do not use them.
    this.scores.length = 0;
    for (const [dice, iou, truthPositive, predictedPositive] of rows)
      this.scores.push({
        imageId: '',
        dice,
        iou,
        truthPositive: truthPositive === 1,
        predictedPositive: predictedPositive === 1,
      });
    const aux = rows.filter((r) => r.length > 4).map((r) => r.slice(4));
    if (aux.length > 0) (this.aux ??= new ClassificationAccumulator('f1', 'aux_')).setRows(aux);
  }

  summary(): PhaseMetrics {
    if (this.scores.length === 0) return {};
    const s = summariseSegmentation(this.scores);
    const aux = this.aux?.summary() ?? {};
    return {
      dice: s.meanDicePositive,
      iou: s.meanIouPositive,
      diceAll: s.meanDice,
      iouAll: s.meanIou,
      ...(aux.aux_auc !== undefined ? { aux_auc: aux.aux_auc } : {}),
    };
  }
}

export function segmenterTask(config: TrainConfig): TrainTask {
  const maskLoss: LossFn = makeLoss(config.loss);
  return {
    loss: (output, batch) =>
      torch.scope(() => {
        const { mask, label } = asSegmentation(output, 'segmenter');
        const pixels = maskLoss(mask, batch.masks);
        if (!label || config.auxLossWeight === 0) return pixels;
        return pixels.add(bceWithLogitsLoss(label, batch.labels).mul(config.auxLossWeight));
      }),
    accumulator: () => new SegmentationAccumulator(config.pixelThreshold),
    higherIsBetter: (monitor) => monitor !== 'loss',
    metricKeys: ['dice', 'iou', 'diceAll', 'iouAll', 'aux_auc'],
  };
}

export function taskFor(config: TrainConfig): TrainTask {
  return config.task === 'classifier' ? classifierTask(config) : segmenterTask(config);
}

export type { TrainableModel };
