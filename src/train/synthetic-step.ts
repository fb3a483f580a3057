// A training step on a fixed synthetic batch, for timing a model without a dataset: `fit --print-plan`'s
// projection and `pneumo bench train` (whose PyTorch side, bench/train_reference.py, builds the same
// batch, loss, AdamW and clipping).
import * as torch from '../torch/index.js';
import { clipGradNorm, type AdamW } from '../torch/optim/index.js';
import { bceWithLogitsLoss, softDiceLoss } from './losses/index.js';
import type { SegmentationLogits, TrainableModel } from './trainable-model.js';

export interface SyntheticBatch {
  /** [N, 1, S, S] standard normal. */
  images: torch.Tensor;
  /** [N, 1, S, S] random masks, a fifth of the pixels on. */
  masks: torch.Tensor;
  /** [N] labels 0, 1, 0, 1, ... */
  labels: torch.Tensor;
  dispose(): void;
}

/** A synthetic batch on `device`, kept until disposed. */
export function syntheticBatch(batch: number, size: number, device: string): SyntheticBatch {
  const images = torch.scope(() => torch.randn([batch, 1, size, size]).to(device)).keep();
  const masks = torch
    .scope(() =>
      torch
        .gt(torch.rand([batch, 1, size, size]), 0.8)
        .float()
        .to(device),
    )
    .keep();
  const labels = torch
    .scope(() => torch.tensor(Float32Array.from({ length: batch }, (_, i) => i % 2)).to(device))
    .keep();
  return {
    images,
    masks,
    labels,
    dispose: () => {
      images.dispose();
      masks.dispose();
      labels.dispose();
    },
  };
}

/**
 * One optimiser step on the batch: BCE on a classifier's logits, BCE + soft Dice on a segmenter's
 * mask logits; gradients clipped at norm 5.
 */
export function syntheticTrainStep(
  model: TrainableModel,
  optimizer: AdamW,
  batch: SyntheticBatch,
  precision: torch.Precision,
  device: string,
): void {
  torch.scope(() => {
    const out = torch.toFloat32(torch.withPrecision(precision, device, () => model.forward(batch.images)));
    const loss =
      out instanceof torch.Tensor
        ? bceWithLogitsLoss(out, batch.labels)
        : bceWithLogitsLoss((out as SegmentationLogits).mask, batch.masks).add(
            softDiceLoss((out as SegmentationLogits).mask, batch.masks),
          );
    optimizer.zeroGrad();
    loss.backward();
    clipGradNorm(model.parameters(), 5);
    optimizer.step();
    loss.item();
  });
}
