"""The PyTorch side of `pneumo bench engine`: training steps of torchvision's resnet18 on one random batch.

Usage: engine_torch.py '{"threads": 2, "batch": 8, "size": 224}'
Prints one JSON line when ready (torch version, threads, parameter count), then for every line "step"
read from standard input runs one training step and prints its wall time and CPU time (all threads)
in ms and its minor page faults; "quit" ends it. The TypeScript side alternates its own steps with
these, so that both sides see the same machine load and never run at the same time.
Same work as bench/engine.ts: zero_grad(set_to_none), forward, BCE-with-logits loss, backward,
SGD(momentum 0.9, weight decay 1e-4) step.
"""
import json
import resource
import sys
import time

import torch
import torchvision

cfg = json.loads(sys.argv[1])
torch.set_num_threads(cfg['threads'])
torch.manual_seed(0)
model = torchvision.models.resnet18(num_classes=1)
model.train()
opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9, weight_decay=1e-4)
x = torch.randn(cfg['batch'], 3, cfg['size'], cfg['size'])
y = (torch.rand(cfg['batch'], 1) > 0.5).float()


def step():
    faults = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    start, cpu = time.perf_counter(), time.process_time()
    opt.zero_grad(set_to_none=True)
    loss = torch.nn.functional.binary_cross_entropy_with_logits(model(x), y)
    loss.backward()
    opt.step()
    return dict(ms=(time.perf_counter() - start) * 1000, cpu_ms=(time.process_time() - cpu) * 1000,
                faults=resource.getrusage(resource.RUSAGE_SELF).ru_minflt - faults)


print(json.dumps(dict(torch_version=torch.__version__, threads=torch.get_num_threads(),
                      parameters=sum(p.numel() for p in model.parameters()))), flush=True)
for line in sys.stdin:
    if line.strip() != 'step':
        break
    print(json.dumps(step()), flush=True)
