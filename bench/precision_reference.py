"""The PyTorch side of `pneumo bench predict-precision`: eval forward of a registry network (built by
bench/registry_models.py, given pneumo's weights strictly by name) at fp32 and under bf16 autocast,
in torch.inference_mode, on the same deterministic input as the TypeScript side.

Usage: precision_reference.py THREADS REPS CONFIG_JSON WEIGHTS SIZE BATCH... ; prints one JSON line:
{"ms": {"fp32": {"1": fastest ms of REPS after a warm-up, ...}, "bf16": {...}}, "checksum": {"fp32": sum of the batch-1 output, ...}}
"""
import json
import math
import os
import sys
import time

import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "scripts"))
from registry_models import build, load_strict  # noqa: E402
from torch_to_safetensors import load_safetensors  # noqa: E402


def deterministic_input(batch, size):
    """sin(0.001 * i) over the flattened [batch, 1, size, size] tensor, as bench/precision.ts makes it."""
    n = batch * size * size
    return torch.sin(torch.arange(n, dtype=torch.float64) * 0.001).float().reshape(batch, 1, size, size)


def output_tensor(out):
    return out["mask"] if isinstance(out, dict) else out


def main():
    threads, reps = int(sys.argv[1]), int(sys.argv[2])
    config = json.loads(sys.argv[3])
    weights, size = sys.argv[4], int(sys.argv[5])
    batches = [int(b) for b in sys.argv[6:]]
    torch.set_num_threads(threads)
    model = load_strict(build(config), load_safetensors(weights), weights).eval()
    result = {"ms": {"fp32": {}, "bf16": {}}, "checksum": {}}
    for precision in ["fp32", "bf16"]:
        for batch in batches:
            x = deterministic_input(batch, size)
            times = []
            with torch.inference_mode(), torch.autocast("cpu", dtype=torch.bfloat16, enabled=precision == "bf16"):
                for rep in range(reps + 1):
                    start = time.perf_counter()
                    out = output_tensor(model(x))
                    elapsed = (time.perf_counter() - start) * 1000
                    if rep > 0:  # the first call is the warm-up
                        times.append(elapsed)
                    if batch == batches[0] and rep == 0:
                        result["checksum"][precision] = float(out.float().sum())
            result["ms"][precision][str(batch)] = min(times)
    result["versions"] = f"torch {torch.__version__}"
    print(json.dumps(result))


if __name__ == "__main__":
    main()
