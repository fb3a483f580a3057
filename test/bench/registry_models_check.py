"""Checks bench/registry_models.py against pneumo, for test/bench/registry-models.test.ts.

Usage: registry_models_check.py FILE CONFIG_JSON. FILE holds a pneumo model's state dict, an input
`__input` and pneumo's output `__output` (classifier logits, or U-Net mask logits). Builds the config's
architecture in PyTorch, loads the state dict strictly by name, runs the input in eval mode and prints
{"parameters": n, "maxAbsDiff": d}.
"""
import json
import os
import sys

import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "bench"))
sys.path.insert(0, os.path.join(HERE, "..", "..", "scripts"))
from registry_models import build, load_strict, parameter_count  # noqa: E402
from torch_to_safetensors import load_safetensors  # noqa: E402

torch.set_num_threads(1)
tensors = load_safetensors(sys.argv[1])
x, expected = tensors.pop("__input"), tensors.pop("__output")
model = load_strict(build(json.loads(sys.argv[2])), tensors, sys.argv[1]).eval()
with torch.no_grad():
    out = model(x)
print(json.dumps({"parameters": parameter_count(model), "maxAbsDiff": (out - expected).abs().max().item()}))
