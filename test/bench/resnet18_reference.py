"""torchvision's resnet18 on a fixed input, for test/bench/resnet18-like.test.ts.

Usage: resnet18_reference.py OUT_FILE. Writes one safetensors file (scripts/torch_to_safetensors.py)
holding the model's state dict under its own names, the input `input`, and the outputs `out.eval` and
`out.train` (eval mode, then one training-mode forward, whose running statistics are saved too as
`after_train.<name>`).
"""
import os
import sys

import torch
import torchvision

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..', 'scripts'))
from torch_to_safetensors import save_safetensors  # noqa: E402

torch.set_num_threads(1)
torch.manual_seed(0)
model = torchvision.models.resnet18(num_classes=3)
# Non-trivial BatchNorm state, so that eval mode is checked against real running statistics.
with torch.no_grad():
    for m in model.modules():
        if isinstance(m, torch.nn.BatchNorm2d):
            m.running_mean.uniform_(-0.1, 0.1)
            m.running_var.uniform_(0.5, 1.5)
            m.weight.uniform_(0.5, 1.5)
            m.bias.uniform_(-0.1, 0.1)
tensors = {k: v.clone() for k, v in model.state_dict().items()}
x = torch.randn(2, 3, 64, 64)
tensors['input'] = x
with torch.no_grad():
    tensors['out.eval'] = model.eval()(x)
    tensors['out.train'] = model.train()(x)
for k, v in model.state_dict().items():
    if 'running' in k:
        tensors['after_train.' + k] = v.clone()
save_safetensors(tensors, sys.argv[1])
