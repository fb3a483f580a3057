"""The PyTorch CUDA side of `pneumo bench gpu-parity`: the same network and weights (bench/registry_models.py,
loaded strictly by name), the same input, one forward and backward of mean(output) on CUDA; prints the
max abs difference of the output and of each parameter's gradient against pneumo's (a safetensors file
holding `output` and `grad.NAME`).

Usage: gpu_parity.py CONFIG_JSON WEIGHTS OURS SIZE BATCH ; prints one JSON line.
"""
import json
import os
import sys

import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "scripts"))
from registry_models import build, load_strict  # noqa: E402
from torch_to_safetensors import load_safetensors  # noqa: E402


def main():
    config = json.loads(sys.argv[1])
    weights, ours_file, size, batch = sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5])
    device = torch.device("cuda:0")
    model = load_strict(build(config), load_safetensors(weights), weights).to(device).train()
    n = batch * size * size
    x = torch.sin(torch.arange(n, dtype=torch.float64) * 0.001).float().reshape(batch, 1, size, size).to(device)
    out = model(x)
    out = out["mask"] if isinstance(out, dict) else out
    out.mean().backward()
    ours = load_safetensors(ours_file)
    output_diff = float((out.detach().cpu() - ours["output"]).abs().max())
    grad_diffs = {}
    for name, p in model.named_parameters():
        key = f"grad.{name}"
        if p.grad is not None and key in ours:
            scale = float(p.grad.abs().max()) or 1.0
            grad_diffs[name] = float((p.grad.cpu() - ours[key]).abs().max()) / scale
    worst = max(grad_diffs, key=grad_diffs.get)
    print(json.dumps({
        "output_max_abs_diff": output_diff,
        "output_max_abs": float(out.abs().max()),
        "gradients_compared": len(grad_diffs),
        "gradient_max_rel_diff": grad_diffs[worst],
        "gradient_worst_parameter": worst,
        "pytorch": f"torch {torch.__version__}, CUDA {torch.version.cuda}, {torch.cuda.get_device_name(0)}",
    }))


if __name__ == "__main__":
    main()
