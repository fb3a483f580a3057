"""Learning-rate sequences of torch.optim.lr_scheduler, for test/torch/optim/schedules.test.ts.

Prints one JSON object: for each case, its settings and the lr of each parameter group before every
step (the value the optimizer uses at that step). Cosine with warm-up is SequentialLR(LinearLR,
CosineAnnealingLR), without warm-up CosineAnnealingLR, and with a warm-up starting from 0 (which LinearLR refuses) Hugging Face's
get_cosine_schedule_with_warmup lambda, copied here; ReduceLROnPlateau is driven by a fixed metric
sequence.
"""
import json
import math
import warnings

import torch
from torch.optim import lr_scheduler

warnings.filterwarnings('ignore')


def optimizer(lrs):
    groups = [dict(params=[torch.nn.Parameter(torch.zeros(1))], lr=lr) for lr in lrs]
    return torch.optim.SGD(groups, lr=lrs[0])


def trace(opt, sched, steps, metrics=None):
    out = []
    for i in range(steps):
        out.append([g['lr'] for g in opt.param_groups])
        opt.step()
        if metrics is None:
            sched.step()
        else:
            sched.step(metrics[i])
    return out


def cosine(lrs, total, warmup, start_factor, min_lr):
    opt = optimizer(lrs)
    sched = lr_scheduler.SequentialLR(opt, [
        lr_scheduler.LinearLR(opt, start_factor, 1.0, warmup),
        lr_scheduler.CosineAnnealingLR(opt, T_max=total - warmup, eta_min=min_lr),
    ], milestones=[warmup])
    # One step past the end: torch's cosine turns back up there, ours stays at min_lr; compare to total.
    return dict(kind='cosine', lrs=lrs, total=total, warmup=warmup, start_factor=start_factor, min_lr=min_lr,
                sequence=trace(opt, sched, total + 1))


def plain_cosine(lrs, total, min_lr):
    opt = optimizer(lrs)
    sched = lr_scheduler.CosineAnnealingLR(opt, T_max=total, eta_min=min_lr)
    return dict(kind='cosine', lrs=lrs, total=total, warmup=0, start_factor=0, min_lr=min_lr,
                sequence=trace(opt, sched, total + 1))


def hf_cosine(lrs, total, warmup):
    def lr_lambda(current_step, num_warmup_steps=warmup, num_training_steps=total, num_cycles=0.5):
        if current_step < num_warmup_steps:
            return float(current_step) / float(max(1, num_warmup_steps))
        progress = float(current_step - num_warmup_steps) / float(max(1, num_training_steps - num_warmup_steps))
        return max(0.0, 0.5 * (1.0 + math.cos(math.pi * float(num_cycles) * 2.0 * progress)))
    opt = optimizer(lrs)
    sched = lr_scheduler.LambdaLR(opt, lr_lambda)
    return dict(kind='cosine', lrs=lrs, total=total, warmup=warmup, start_factor=0, min_lr=0,
                sequence=trace(opt, sched, total + 1))


def step_decay(lrs, step_size, gamma, steps):
    opt = optimizer(lrs)
    return dict(kind='step', lrs=lrs, step_size=step_size, gamma=gamma,
                sequence=trace(opt, lr_scheduler.StepLR(opt, step_size, gamma), steps))


def plateau(lrs, metrics, **options):
    opt = optimizer(lrs)
    sched = lr_scheduler.ReduceLROnPlateau(opt, **options)
    return dict(kind='plateau', lrs=lrs, options=options, metrics=metrics, sequence=trace(opt, sched, len(metrics), metrics))


losses = [1.0, 0.9, 0.9, 0.95, 0.91, 0.9, 0.899, 0.7, 0.71, 0.72, 0.73, 0.74, 0.75, 0.6, 0.6, 0.6, 0.6, 0.6, 0.6, 0.6]
scores = [0.1, 0.2, 0.2, 0.2, 0.25, 0.3, 0.3, 0.3, 0.3, 0.3, 0.31, 0.305, 0.3, 0.3, 0.3, 0.3]
cases = {
    'cosine_warmup_per_step': cosine([0.1, 0.02], total=40, warmup=8, start_factor=0.1, min_lr=1e-4),
    'cosine_no_warmup_per_epoch': cosine([3e-4], total=12, warmup=1, start_factor=1.0, min_lr=0.0),
    'cosine_without_warmup': plain_cosine([0.2], total=15, min_lr=0.01),
    'cosine_hf_from_zero': hf_cosine([0.05, 0.5], total=30, warmup=6),
    'step_decay': step_decay([0.1, 1.0], step_size=3, gamma=0.5, steps=14),
    'plateau_min_rel': plateau([0.1, 0.01], losses, mode='min', factor=0.5, patience=2, threshold=1e-2, cooldown=1, min_lr=[0.02, 0.001]),
    'plateau_max_abs': plateau([1.0], scores, mode='max', factor=0.1, patience=1, threshold=0.02, threshold_mode='abs'),
    'plateau_defaults': plateau([0.1], [1.0] + [2.0] * 24),
}
print(json.dumps(cases))
