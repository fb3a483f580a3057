// What `fit --print-plan` says a plan will cost on this machine: each stage's model timed for a few
// training steps and inference batches at the plan's input size, batch and precision (on the plan's
// device when this machine has it, else on the CPU, said so), then multiplied out over a dataset's
// images: the user's folder, or the full SIIM-ACR training set. Model time only: the loader decodes in
// worker threads beside the model, and after the first epoch reads its cache.
import * as torch from '../torch/index.js';
import { AdamW } from '../torch/optim/index.js';
import { createModel } from '../models/registry.js';
import { syntheticBatch, syntheticTrainStep } from '../train/synthetic-step.js';
import type { SegmentationLogits, TrainableModel } from '../train/trainable-model.js';
import type { FitPlan } from '../report/fit-summary.js';
import type { StageRecipe } from '../report/demo-summary.js';

/** The SIIM-ACR stage 2 training set: 12,047 films, about 22% with pneumothorax. */
export const SIIM_FULL = { images: 12047, positiveShare: 0.222 };

export interface StepTimes {
  model: string;
  batch: number;
  trainSecondsPerImage: number;
  inferSecondsPerImage: number;
}

export interface Measured {
  device: string;
  precision: string;
  /** Why the device or precision differ from the plan's, when they do. */
  note: string | null;
  segmenter: StepTimes;
  classifier: StepTimes;
}

function timeModel(
  recipe: StageRecipe,
  size: number,
  precision: torch.Precision,
  device: string,
  steps: number,
): StepTimes {
  const batch = Math.min(recipe.batch, 4);
  torch.manualSeed(1);
  const model = createModel(recipe.model, recipe.settings?.modelOptions ?? {}) as TrainableModel;
  model.to(device);
  const optimizer = new AdamW(model.parameters(), { lr: 1e-3, weightDecay: 1e-4 });
  const synthetic = syntheticBatch(batch, size, device);
  try {
    const train = () => syntheticTrainStep(model, optimizer, synthetic, precision, device);
    const infer = () =>
      torch.scope(() =>
        torch.noGrad(() => {
          const out = torch.withPrecision(precision, device, () => model.forward(synthetic.images));
          (out instanceof torch.Tensor ? out : (out as SegmentationLogits).mask).sum().item();
        }),
      );
    const timed = (fn: () => void) => {
      fn(); // warm-up: first-call allocation and kernel choice
      const start = performance.now();
      for (let s = 0; s < steps; s++) fn();
      return (performance.now() - start) / 1000 / steps / batch;
    };
    model.train();
    const trainSecondsPerImage = timed(train);
    model.eval();
    const inferSecondsPerImage = timed(infer);
    return { model: recipe.model, batch, trainSecondsPerImage, inferSecondsPerImage };
  } finally {
    synthetic.dispose();
    model.dispose();
  }
}

/** Times both stages' models on this machine (a few seconds on a CPU for the cpu preset). */
export function measureStepTimes(plan: FitPlan, steps = 2): Measured {
  let device: string;
  let note: string | null = null;
  try {
    device = torch.resolveDevice(plan.device as torch.DeviceRequest);
  } catch {
    device = 'cpu';
    note = `this machine has no ${plan.device}: measured on the CPU`;
  }
  let precision = plan.precision;
  try {
    torch.checkPrecision(precision, device);
  } catch {
    precision = 'fp32';
    note = `${note ? `${note}, ` : ''}${plan.precision} is not available on ${device}: measured in fp32`;
  }
  return {
    device,
    precision,
    note,
    segmenter: timeModel(plan.segmenter, plan.inputSize, precision, device, steps),
    classifier: timeModel(plan.classifier, plan.inputSize, precision, device, steps),
  };
}

export interface Projection {
  images: number;
  positives: number;
  /** Seconds per stage over every fold, and in all. */
  seconds: { segmenter: number; classifier: number; operatingPoint: number; total: number };
  hours: number;
}

/** Validation passes of a run: every `validateEvery`-th epoch and the last. */
function validations(recipe: StageRecipe): number {
  const every = recipe.settings?.validateEvery ?? 1;
  return Math.floor(recipe.epochs / every) + (recipe.epochs % every === 0 ? 0 : 1);
}

/** The plan's wall time over a dataset of `images` films of which `positiveShare` are positive. */
export function projectWallTime(plan: FitPlan, measured: Measured, images: number, positiveShare: number): Projection {
  const positives = Math.round(images * positiveShare);
  const models = plan.folds === 1 ? 1 : plan.folds;
  const heldShare = plan.folds === 1 ? plan.valFraction : 1 / plan.folds;
  const trainShare = 1 - heldShare;
  const segmenterPositivesOnly = plan.segmenter.settings?.positiveFraction === undefined;
  const segImages = segmenterPositivesOnly ? positives : images;
  const seg = measured.segmenter;
  const cls = measured.classifier;
  const segmenter =
    models *
    (plan.segmenter.epochs * segImages * trainShare * seg.trainSecondsPerImage +
      validations(plan.segmenter) * segImages * heldShare * seg.inferSecondsPerImage);
  const classifier =
    models *
    (plan.classifier.epochs * images * trainShare * cls.trainSecondsPerImage +
      validations(plan.classifier) * images * heldShare * cls.inferSecondsPerImage);
  // Both models over the held-out images (all of them out-of-fold).
  const operatingPoint = images * heldShare * models * (seg.inferSecondsPerImage + cls.inferSecondsPerImage);
  const total = segmenter + classifier + operatingPoint;
  return { images, positives, seconds: { segmenter, classifier, operatingPoint, total }, hours: total / 3600 };
}
