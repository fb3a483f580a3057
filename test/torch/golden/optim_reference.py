"""Reference trajectories of torch.optim for test/torch/optim.test.ts.

Prints one JSON object: the problem (initial parameter values and data, so the TypeScript test builds
exactly the same one) and, for each optimizer configuration, its options (PyTorch's names), parameter
groups or clipping, and the parameter values after every step (plus the norms returned by
clip_grad_norm_ where clipping is on). Run with Debian's /usr/bin/python3
(torch 1.13). The loss: mean((tanh(x @ w.T + b) - y) ** 2); `unused` is a parameter the
loss never touches (no gradient: must stay unchanged, weight decay included), `frozen` one that does
not require grad.
"""
import json
import math

import torch

torch.set_num_threads(1)
STEPS = 5


def problem():
    # Plain arithmetic values, reproducible in any language.
    w = [[math.sin(0.7 * i + 0.3 * j) for j in range(4)] for i in range(3)]
    b = [0.1 * i - 0.05 for i in range(3)]
    x = [[math.cos(0.5 * i - 0.2 * j) for j in range(4)] for i in range(5)]
    y = [[0.3 * math.sin(i + 2 * j) for j in range(3)] for i in range(5)]
    unused = [1.0, -2.0]
    frozen = [0.5, 0.25]
    return dict(w=w, b=b, x=x, y=y, unused=unused, frozen=frozen)


CONFIGS = {
    'sgd': ('SGD', dict(lr=0.1), None),
    'sgd_momentum_dampening_wd': ('SGD', dict(lr=0.05, momentum=0.9, dampening=0.1, weight_decay=0.01), None),
    'sgd_nesterov_wd': ('SGD', dict(lr=0.05, momentum=0.9, nesterov=True, weight_decay=0.01), None),
    'sgd_maximize': ('SGD', dict(lr=0.01, momentum=0.5, maximize=True), None),
    'adam': ('Adam', dict(lr=0.01), None),
    'adam_wd_amsgrad': ('Adam', dict(lr=0.02, weight_decay=0.1, amsgrad=True), None),
    'adamw': ('AdamW', dict(lr=0.01, weight_decay=0.1), None),
    'adamw_amsgrad_betas': ('AdamW', dict(lr=0.03, betas=(0.8, 0.99), eps=1e-6, amsgrad=True), None),
    'adam_groups': ('Adam', dict(lr=0.01), [dict(names=['w'], lr=0.05, weight_decay=0.01), dict(names=['b', 'unused', 'frozen'])]),
    'sgd_clip2': ('SGD', dict(lr=0.1, momentum=0.9), dict(max_norm=0.05, norm_type=2.0)),
    'sgd_clip_inf': ('SGD', dict(lr=0.1), dict(max_norm=0.01, norm_type=math.inf)),
}


def run(kind, options, extra, data):
    params = {
        'w': torch.tensor(data['w'], requires_grad=True),
        'b': torch.tensor(data['b'], requires_grad=True),
        'unused': torch.tensor(data['unused'], requires_grad=True),
        'frozen': torch.tensor(data['frozen'], requires_grad=False),
    }
    x = torch.tensor(data['x'])
    y = torch.tensor(data['y'])
    groups = isinstance(extra, list)
    if groups:
        spec = [dict({k: v for k, v in g.items() if k != 'names'}, params=[params[n] for n in g['names']]) for g in extra]
        opt = getattr(torch.optim, kind)(spec, **options)
    else:
        opt = getattr(torch.optim, kind)(list(params.values()), **options)
    trajectory, norms = [], []
    for _ in range(STEPS):
        opt.zero_grad(set_to_none=True)
        loss = ((torch.tanh(x @ params['w'].T + params['b']) - y) ** 2).mean()
        loss.backward()
        if isinstance(extra, dict):
            norms.append(float(torch.nn.utils.clip_grad_norm_(list(params.values()), extra['max_norm'], extra['norm_type'])))
        opt.step()
        trajectory.append({n: p.detach().flatten().tolist() for n, p in params.items()})
    described = dict(kind=kind, options=options, trajectory=trajectory, norms=norms)
    if groups:
        described['groups'] = extra
    elif extra is not None:
        described['clip'] = dict(max_norm=extra['max_norm'], norm_type='inf' if extra['norm_type'] == math.inf else extra['norm_type'])
    return described


data = problem()
print(json.dumps(dict(problem=data, steps=STEPS, results={name: run(*cfg, data) for name, cfg in CONFIGS.items()})))
