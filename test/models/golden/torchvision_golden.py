#!/usr/bin/env python3
"""Reference data from torchvision 0.14 for test/models: no downloads, random weights only.

  structure OUT_DIR   OUT_DIR/structure.json: per architecture, state-dict keys with shapes and
                      dtypes (in order), parameter count, conv+linear MACs at 3x64x64 (hooks).
  parity OUT_DIR      per architecture, ARCH.safetensors (seeded random weights, batch-norm statistics
                      randomised too) and ARCH.io.safetensors (input, eval-mode logits and the five
                      feature maps at strides 2..32 as segmentation_models.pytorch extracts them).
"""
import json
import os
import sys

import torch
import torchvision

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..", "scripts"))
from torch_to_safetensors import save_safetensors  # noqa: E402

STRUCTURE_ARCHS = ["resnet18", "resnet34", "resnet50", "densenet121", "vgg16", "vgg19_bn", "efficientnet_b0"]


def structure(out_dir):
    # Initialisation is irrelevant to names, shapes and MACs; skipping it keeps VGG's 138M fast.
    for name in ["uniform_", "normal_", "constant_", "kaiming_uniform_", "kaiming_normal_", "zeros_", "ones_", "trunc_normal_"]:
        setattr(torch.nn.init, name, lambda t, *a, **k: t)
    result = {}
    for arch in STRUCTURE_ARCHS:
        model = getattr(torchvision.models, arch)().eval()
        macs = [0]

        def hook(module, inputs, output):
            if isinstance(module, torch.nn.Conv2d):
                k = module.kernel_size[0] * module.kernel_size[1]
                macs[0] += output.numel() * (module.in_channels // module.groups) * k
            elif isinstance(module, torch.nn.Linear):
                macs[0] += module.in_features * module.out_features * output.shape[0]

        for m in model.modules():
            if isinstance(m, (torch.nn.Conv2d, torch.nn.Linear)):
                m.register_forward_hook(hook)
        with torch.no_grad():
            model(torch.zeros(1, 3, 64, 64))
        result[arch] = {
            "keys": [[k, list(v.shape), str(v.dtype).replace("torch.", "")] for k, v in model.state_dict().items()],
            "params": sum(p.numel() for p in model.parameters()),
            "macs64": macs[0],
        }
    with open(os.path.join(out_dir, "structure.json"), "w") as f:
        json.dump(result, f)


def randomise_batch_norm(model, generator):
    for m in model.modules():
        if isinstance(m, torch.nn.BatchNorm2d):
            n = m.num_features
            m.weight.data = torch.rand(n, generator=generator) + 0.5
            m.bias.data = torch.randn(n, generator=generator) * 0.1
            m.running_mean = torch.randn(n, generator=generator) * 0.1
            m.running_var = torch.rand(n, generator=generator) + 0.5
            m.num_batches_tracked.fill_(7)


def resnet_features(m, x):
    f1 = m.relu(m.bn1(m.conv1(x)))
    f2 = m.layer1(m.maxpool(f1))
    f3 = m.layer2(f2)
    f4 = m.layer3(f3)
    return [f1, f2, f3, f4, m.layer4(f4)]


def densenet_features(m, x):
    f = m.features
    maps = [f.relu0(f.norm0(f.conv0(x)))]
    y = f.pool0(maps[0])
    for i in range(1, 4):
        y = getattr(f, f"denseblock{i}")(y)
        t = getattr(f, f"transition{i}")
        skip = t.relu(t.norm(y))
        maps.append(skip)
        y = t.pool(t.conv(skip))
    maps.append(f.norm5(f.denseblock4(y)))
    return maps


def vgg_features(m, x):
    maps = []
    for layer in m.features:
        x = layer(x)
        if isinstance(layer, torch.nn.MaxPool2d):
            maps.append(x)
    return maps


def efficientnet_features(m, x):
    maps = []
    for i, layer in enumerate(m.features[:8]):
        x = layer(x)
        if i in (0, 2, 3, 5, 7):
            maps.append(x)
    return maps


# arch: (feature extractor, input shape, whether the file and the logits include the classifier)
PARITY = {
    "resnet18": (resnet_features, (2, 3, 64, 64), True),
    "densenet121": (densenet_features, (2, 3, 64, 64), True),
    # VGG's classifier holds 120M parameters; its parity is left to the structure test.
    "vgg16_bn": (vgg_features, (1, 3, 32, 32), False),
    "efficientnet_b0": (efficientnet_features, (2, 3, 64, 64), True),
}


def parity(out_dir):
    torch.set_num_threads(1)
    for index, (arch, (features, shape, with_classifier)) in enumerate(PARITY.items()):
        torch.manual_seed(1000 + index)
        generator = torch.Generator().manual_seed(2000 + index)
        model = getattr(torchvision.models, arch)()
        randomise_batch_norm(model, generator)
        model.eval()
        state = {k: v for k, v in model.state_dict().items() if with_classifier or not k.startswith("classifier.")}
        save_safetensors(state, os.path.join(out_dir, f"{arch}.safetensors"), {"arch": arch})
        x = torch.randn(*shape, generator=generator)
        io = {"input": x}
        with torch.no_grad():
            maps = features(model, x)
            for i, f in enumerate(maps):
                io[f"feature{i}"] = f
            if with_classifier:
                io["logits"] = model(x)
            if arch == "resnet18":
                # A grey image fed as (g, g, g): what a 1-channel model with summed filters must give.
                gray = torch.randn(2, 1, 64, 64, generator=generator)
                io["gray_input"] = gray
                io["gray_logits"] = model(gray.repeat(1, 3, 1, 1))
        save_safetensors(io, os.path.join(out_dir, f"{arch}.io.safetensors"))


if __name__ == "__main__":
    mode, out = sys.argv[1], sys.argv[2]
    {"structure": structure, "parity": parity}[mode](out)
