// Lovasz hinge loss (Berman, Triki, Blaschko 2018), a convex surrogate of the Jaccard index, with the
// semantics of the authors' lovasz_losses.py: per image, errors 1 - logit * sign sorted in decreasing
// order, dotted with the gradient of the Lovasz extension of the Jaccard loss at the sorted truth,
// then averaged over images. The symmetric form used in SIIM solutions averages the loss on
// (logits, t) and on (-logits, 1 - t), so that empty masks teach the model too.
import * as torch from '../../torch/index.js';
import type { Tensor } from '../../torch/index.js';
import { checkSameShape, type LossFn } from './loss.js';

/** Per-image Lovasz hinge of [N, ...] logits against 0/1 targets, one value per image ([N]). */
function lovaszHingePerImage(logits: Tensor, targets: Tensor): Tensor {
  return torch.scope(() => {
    const n = logits.shape[0];
    const x = logits.reshape([n, -1]);
    const t = targets.reshape([n, -1]).to(logits.dtype);
    const signs = t.mul(2).sub(1);
    const errors = torch.rsub(x.mul(signs), 1);
    const { values: sorted, indices } = torch.sort(errors, 1, true);
    const truth = torch.gather(t, 1, indices);
    // The Lovasz gradient: jaccard[k] = 1 - (gts - cumsum(t)[k]) / (gts + cumsum(1 - t)[k]), then
    // differences along the sorted order. Constant for autograd (it depends on the order only).
    const grad = torch.noGrad(() => {
      const gts = truth.sum(1, true);
      const intersection = gts.sub(torch.cumsum(truth, 1));
      const union = gts.add(torch.cumsum(torch.rsub(truth, 1), 1));
      const jaccard = torch.rsub(intersection.div(union), 1);
      const p = jaccard.shape[1];
      if (p === 1) return jaccard;
      const head = torch.slice(jaccard, 1, 0, 1);
      const diff = torch.slice(jaccard, 1, 1, p).sub(torch.slice(jaccard, 1, 0, p - 1));
      return torch.cat([head, diff], 1);
    });
    return torch.relu(sorted).mul(grad).sum(1);
  });
}

/** Lovasz hinge, per image then averaged (lovasz_hinge(..., per_image=True)). */
export function lovaszHingeLoss(logits: Tensor, targets: Tensor): Tensor {
  checkSameShape('lovasz', logits, targets);
  return torch.scope(() => lovaszHingePerImage(logits, targets).mean());
}

/** (lovasz(logits, t) + lovasz(-logits, 1 - t)) / 2, per image then averaged. */
export function symmetricLovaszLoss(logits: Tensor, targets: Tensor): Tensor {
  checkSameShape('lovasz', logits, targets);
  return torch.scope(() =>
    lovaszHingePerImage(logits, targets)
      .add(lovaszHingePerImage(torch.neg(logits), torch.rsub(targets, 1)))
      .mean()
      .mul(0.5),
  );
}

export const lovasz = (): LossFn => symmetricLovaszLoss;
