"""The PyTorch side of `pneumo bench predict-precision`: eval forward of a registry network (built by
bench/registry_models.py, given pneumo's weights strictly by name) at fp32 and under bf16 autocast,
in torch.inference_mode, on the same deterministic input as the TypeScript side.

Usage: precision_reference.py [--compile] THREADS REPS CONFIG_JSON WEIGHTS SIZE BATCH... ; prints one JSON line:
{"ms": {"fp32": {"1": fastest ms of REPS after a warm-up, ...}, "bf16": {...}}, "checksum": {"fp32": sum of the batch-1 output, ...}}
With --compile (PyTorch 2.x) the model runs through torch.compile (inductor) instead, compiled anew for
each precision and batch; "compile_s" then holds each warm-up's time (the compilation), kept out of "ms".
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
    args = sys.argv[1:]
    compile_model = args[0] == "--compile"
    if compile_model:
        args = args[1:]
    threads, reps = int(args[0]), int(args[1])
    config = json.loads(args[2])
    weights, size = args[3], int(args[4])
    batches = [int(b) for b in args[5:]]
    torch.set_num_threads(threads)
    model = load_strict(build(config), load_safetensors(weights), weights).eval()
    result = {"ms": {"fp32": {}, "bf16": {}}, "checksum": {}}
    if compile_model:
        result["compile_s"] = {"fp32": {}, "bf16": {}}
    for precision in ["fp32", "bf16"]:
        for batch in batches:
            x = deterministic_input(batch, size)
            times = []
            if compile_model:
                # A fresh compilation per precision and batch, as a server would compile its one shape.
                torch._dynamo.reset()
                runner = torch.compile(model, backend="inductor")
            else:
                runner = model
            # inference_mode tensors cannot enter a compiled graph's saved state; no_grad is what
            # torch.compile's inference recipes use.
            grad_off = torch.no_grad() if compile_model else torch.inference_mode()
            with grad_off, torch.autocast("cpu", dtype=torch.bfloat16, enabled=precision == "bf16"):
                for rep in range(reps + 1):
                    start = time.perf_counter()
                    out = output_tensor(runner(x))
                    elapsed = (time.perf_counter() - start) * 1000
                    if rep > 0:  # the first call is the warm-up (and, compiled, the compilation)
                        times.append(elapsed)
                    elif compile_model:
                        result["compile_s"][precision][str(batch)] = elapsed / 1000
                    if batch == batches[0] and rep == 0:
                        result["checksum"][precision] = float(out.float().sum())
            result["ms"][precision][str(batch)] = min(times)
    result["versions"] = f"torch {torch.__version__}"
    print(json.dumps(result))


if __name__ == "__main__":
    main()
