#!/usr/bin/env python3
"""The PyTorch side of `pneumo bench models`: torchvision encoders, eval forward and a training
forward+backward, median milliseconds. Args: size batch reps threads arch... Prints one JSON line."""
import json
import statistics
import sys
import time

import torch
import torchvision


def median_ms(fn, reps):
    """Median wall and CPU (all threads) milliseconds per call, after one warm-up call."""
    fn()  # warm-up: oneDNN primitives, allocator
    wall, cpu = [], []
    for _ in range(reps):
        start, start_cpu = time.perf_counter(), time.process_time()
        fn()
        wall.append((time.perf_counter() - start) * 1000)
        cpu.append((time.process_time() - start_cpu) * 1000)
    return statistics.median(wall), statistics.median(cpu)


def main():
    size, batch, reps, threads = (int(v) for v in sys.argv[1:5])
    torch.set_num_threads(threads)
    torch.manual_seed(0)
    out = {"torch": torch.__version__, "torchvision": torchvision.__version__, "results": {}}
    for arch in sys.argv[5:]:
        model = getattr(torchvision.models, arch)()
        x = torch.randn(batch, 3, size, size)

        def forward():
            with torch.no_grad():
                model(x)

        def train_step():
            model.zero_grad(set_to_none=True)
            model(x).mean().backward()

        model.eval()
        forward_ms, forward_cpu_ms = median_ms(forward, reps)
        model.train()
        train_ms, train_cpu_ms = median_ms(train_step, reps)
        out["results"][arch] = {"forward_ms": forward_ms, "forward_cpu_ms": forward_cpu_ms, "train_ms": train_ms, "train_cpu_ms": train_cpu_ms}
    print(json.dumps(out))


if __name__ == "__main__":
    main()
