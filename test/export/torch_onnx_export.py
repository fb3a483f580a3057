"""The independent export, for test/export/onnx-export.test.ts: PyTorch's own torch.onnx.export of
bench/registry_models.py's build of a pneumo model, with pneumo's weights.

Usage: torch_onnx_export.py WEIGHTS CONFIG_JSON HEIGHT WIDTH OUT. WEIGHTS is a pneumo state dict
(safetensors); the model is built from the config, loaded strictly by name, and exported in eval
mode with the same output stage as pneumo's export (sigmoid of the classifier logit [N], of the
U-Net's mask logits [N,1,H,W]), input `image`, opset 17. Prints {"file": OUT}.
"""
import json
import os
import sys

import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "bench"))
sys.path.insert(0, os.path.join(HERE, "..", "..", "scripts"))
from registry_models import build, load_strict  # noqa: E402
from torch_to_safetensors import load_safetensors  # noqa: E402


class Probabilities(torch.nn.Module):
    def __init__(self, model):
        super().__init__()
        self.model = model

    def forward(self, x):
        return torch.sigmoid(self.model(x))


weights, config_json, height, width, out = sys.argv[1:6]
config = json.loads(config_json)
model = load_strict(build(config), load_safetensors(weights), weights).eval()
example = torch.zeros(1, config["inChannels"], int(height), int(width))
output = "probability" if config["task"] == "classification" else "mask"
with torch.no_grad():
    torch.onnx.export(Probabilities(model), example, out, input_names=["image"], output_names=[output], opset_version=17)
print(json.dumps({"file": out}))
