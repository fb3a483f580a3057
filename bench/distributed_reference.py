# The PyTorch side of `pneumo bench distributed` (Debian's /usr/bin/python3, torch 1.13): the same jobs
# as bench/distributed-rank.ts. With WORLD_SIZE=2, a rank of torch.distributed's Gloo group started
# from the environment (init_method='env://', as torchrun does) and the model wrapped in
# torch.nn.parallel.DistributedDataParallel (default 25 MiB buckets, buffers broadcast); else one
# process with the double batch. The model is the registry's architecture (bench/registry_models.py).
# Usage: distributed_reference.py '{"kind": "step", ...}'
import json
import os
import sys
import time

import torch
import torch.distributed as dist
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from registry_models import build  # noqa: E402


def train_steps(job, distributed):
    torch.manual_seed(1)
    model = build(job['config'])
    model.train()
    if distributed:
        model = torch.nn.parallel.DistributedDataParallel(model)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    batch = job['batch'] * (1 if distributed else job['worldSize'])
    images = torch.randn(batch, 1, job['size'], job['size'])
    labels = (torch.arange(batch) % 2).float()
    times = []
    for step in range(job['warmup'] + job['steps']):
        start = time.perf_counter()
        out = model(images).reshape(batch)
        loss = F.binary_cross_entropy_with_logits(out, labels)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        loss.item()
        if step >= job['warmup']:
            times.append((time.perf_counter() - start) * 1000)
    return times


def all_reduce_times(job):
    out = {}
    for mib in job['sizesMiB']:
        buffer = torch.zeros(mib * 1024 * 1024 // 4)
        times = []
        # As repeatsFor in bench/distributed-rank.ts: about 160 MiB per size.
        repeats = max(job['repeats'], round(160 / mib))
        # As warmupFor in bench/distributed-rank.ts: about 40 MiB untimed first.
        warmup = max(job['warmup'], round(40 / mib))
        for k in range(warmup + repeats):
            dist.barrier()
            start = time.perf_counter()
            dist.all_reduce(buffer)
            if k >= warmup:
                times.append((time.perf_counter() - start) * 1000)
        out[str(mib)] = times
    return out


def main():
    job = json.loads(sys.argv[1])
    torch.set_num_threads(job['threads'])
    world_size = int(os.environ.get('WORLD_SIZE', '1'))
    distributed = world_size > 1
    if distributed:
        # The rendezvous store's libuv server is the default from PyTorch 2.4, but a build may lack
        # libuv (Debian 13's 2.6 does); the older server is as good for a rendezvous and is what
        # pneumo's side falls back to. Older releases ignore the variable.
        os.environ.setdefault('USE_LIBUV', '0')
        # Gloo binds to the address the hostname resolves to unless told an interface; inside a chroot
        # or container that address need not reach the other rank. pneumo's side uses the interface
        # that routes to the master, which for a loopback master is lo: the same here.
        if os.environ.get('MASTER_ADDR', '').startswith('127.'):
            os.environ.setdefault('GLOO_SOCKET_IFNAME', 'lo')
        dist.init_process_group('gloo', init_method='env://')
    if job['kind'] == 'step':
        result = {'stepMs': train_steps(job, distributed)}
    else:
        result = {'allReduceMs': all_reduce_times(job)}
    if distributed:
        dist.destroy_process_group()
    print(json.dumps({'side': 'pytorch', 'rank': int(os.environ.get('RANK', '0')), 'worldSize': world_size, **result}))


main()
