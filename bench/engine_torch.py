"""The PyTorch side of `pneumo bench engine`: training steps of torchvision's resnet18 on random data.

Usage: engine_torch.py '{"threads": 2, "batch": 8, "size": 224, "steps": 10, "warmup": 3}'
Prints one JSON object: median and all per-step wall times in ms, median CPU time (all threads), torch version, threads, parameter count.
Same work as bench/engine.ts: zero_grad(set_to_none), forward, BCE-with-logits loss, backward,
SGD(momentum 0.9, weight decay 1e-4) step, on one fixed random batch.
"""
import json
import statistics
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
times, cpu_times = [], []
for i in range(cfg['warmup'] + cfg['steps']):
    start, cpu_start = time.perf_counter(), time.process_time()
    opt.zero_grad(set_to_none=True)
    loss = torch.nn.functional.binary_cross_entropy_with_logits(model(x), y)
    loss.backward()
    opt.step()
    elapsed, cpu = (time.perf_counter() - start) * 1000, (time.process_time() - cpu_start) * 1000
    if i >= cfg['warmup']:
        times.append(elapsed)
        cpu_times.append(cpu)
print(json.dumps(dict(median_ms=statistics.median(times), times_ms=times, cpu_median_ms=statistics.median(cpu_times), torch_version=torch.__version__,
                      threads=torch.get_num_threads(), parameters=sum(p.numel() for p in model.parameters()))))
