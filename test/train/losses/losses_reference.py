# Golden values for test/train/losses.test.ts, from PyTorch (Debian's /usr/bin/python3 with torch).
# Run: /usr/bin/python3 test/train/losses/losses_reference.py > test/train/losses/losses-reference.json
# The Lovasz hinge below follows Berman et al.'s lovasz_losses.py (lovasz_grad, lovasz_hinge_flat,
# lovasz_hinge with per_image=True), written out here so that the reference does not come from pneumo.
import json
import torch
import torch.nn.functional as F
from torchvision.ops import sigmoid_focal_loss

torch.manual_seed(7)
logits = (torch.randn(3, 1, 5, 4, dtype=torch.float64) * 2)
targets = torch.zeros(3, 1, 5, 4, dtype=torch.float64)
targets[0, 0, 1:4, 1:3] = 1  # a small square
# image 1 stays empty (a negative image)
targets[2] = (torch.rand(1, 5, 4) > 0.3).double()  # mostly positive


def lovasz_grad(gt_sorted):
    p = len(gt_sorted)
    gts = gt_sorted.sum()
    # The original casts to float32 (.float()) here; the inputs are float64 so that the reference is
    # exact to 1e-10, and the cast would cost 1e-8.
    intersection = gts - gt_sorted.cumsum(0)
    union = gts + (1 - gt_sorted).cumsum(0)
    jaccard = 1. - intersection / union
    if p > 1:
        jaccard[1:p] = jaccard[1:p] - jaccard[0:-1]
    return jaccard


def lovasz_hinge_flat(logits, labels):
    if len(labels) == 0:
        return logits.sum() * 0.
    signs = 2. * labels.float() - 1.
    errors = (1. - logits * signs)
    errors_sorted, perm = torch.sort(errors, dim=0, descending=True)
    gt_sorted = labels[perm]
    grad = lovasz_grad(gt_sorted)
    return torch.dot(F.relu(errors_sorted), grad.to(errors_sorted.dtype))


def lovasz_hinge(logits, labels):
    # per_image=True: mean over images of the flat loss
    losses = [lovasz_hinge_flat(l.reshape(-1), t.reshape(-1)) for l, t in zip(logits, labels)]
    return sum(losses) / len(losses)


def symmetric_lovasz(logits, labels):
    return (lovasz_hinge(logits, labels) + lovasz_hinge(-logits, 1 - labels)) / 2


def soft_dice(logits, labels, smooth=1.0):
    n = logits.shape[0]
    p = torch.sigmoid(logits).reshape(n, -1)
    t = labels.reshape(n, -1)
    dice = (2 * (p * t).sum(1) + smooth) / (p.sum(1) + t.sum(1) + smooth)
    return (1 - dice).mean()


cases = {
    'bce': lambda x, t: F.binary_cross_entropy_with_logits(x, t),
    'bce_pos_weight_3': lambda x, t: F.binary_cross_entropy_with_logits(x, t, pos_weight=torch.tensor([3.0], dtype=x.dtype)),
    'dice_smooth_1': lambda x, t: soft_dice(x, t, 1.0),
    'dice_smooth_0.01': lambda x, t: soft_dice(x, t, 0.01),
    'focal_a0.25_g2': lambda x, t: sigmoid_focal_loss(x, t, alpha=0.25, gamma=2, reduction='mean'),
    'focal_a-1_g1.5': lambda x, t: sigmoid_focal_loss(x, t, alpha=-1, gamma=1.5, reduction='mean'),
    'lovasz_hinge': lovasz_hinge,
    'symmetric_lovasz': symmetric_lovasz,
    'bce_dice_w0.5_1': lambda x, t: 0.5 * F.binary_cross_entropy_with_logits(x, t) + 1.0 * soft_dice(x, t),
    'bce_dice_focal_1_1_2': lambda x, t: F.binary_cross_entropy_with_logits(x, t) + soft_dice(x, t)
        + 2 * sigmoid_focal_loss(x, t, alpha=0.25, gamma=2, reduction='mean'),
}

out = {'shape': list(logits.shape), 'logits': logits.reshape(-1).tolist(), 'targets': targets.reshape(-1).tolist(), 'cases': {}}
for name, fn in cases.items():
    x = logits.clone().requires_grad_(True)
    value = fn(x, targets)
    value.backward()
    out['cases'][name] = {'value': value.item(), 'grad': x.grad.reshape(-1).tolist()}
print(json.dumps(out))
