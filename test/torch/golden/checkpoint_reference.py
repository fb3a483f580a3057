#!/usr/bin/env python3
"""PyTorch checkpoint files written by Debian's torch 1.13 / torchvision 0.14, for test/torch/checkpoint.test.ts
and test/models/pretrained-checkpoint.test.ts. No downloads: seeded random weights only.

  models OUT_DIR  writes the model files below (resnet34, densenet121, module*) into OUT_DIR
  reader OUT_DIR  writes the others and prints a JSON description ({name: {dtype, shape, values}})
                  of views.pth, of some of wrapped.pth and of small-module.pt's state dict

  resnet34.pth            torch.save(resnet34.state_dict()), batch-norm statistics randomised
  densenet121.pth         the same for densenet121
  ARCH.io.safetensors     input [2, 3, 64, 64] and torchvision's eval-mode logits
  wrapped.pth             a training script's dict: {'epoch', 'arch', 'state_dict': resnet18's, 'optimizer',
                          'args': argparse.Namespace, 'best_metric': numpy.float64} (timm's train.py layout)
  module.pt               a whole pickled nn.Module, as torchxrayvision saves its DenseNet: 1-channel
                          densenet121 features, an 18-way classifier and an `op_threshs` buffer
  module.io.safetensors   its input [2, 1, 64, 64] and logits
  module-legacy.pt        the same module in the legacy (pre-1.6, non-zip) format
  small-module.pt         a small whole module (nested, batch norm, a None submodule, a non-persistent buffer)
  small-module-legacy.pt  the same in the legacy format
  views.pth               views sharing one storage (rows, strided columns, a transpose, an offset slice),
                          fp16, bf16, int64, int32, uint8, bool and 0-d tensors
  views-big.pth           small-module.pt         a small whole module (nested, batch norm, a None submodule, a non-persistent buffer)
  small-module-legacy.pt  the same in the legacy format
  views.pth with every data record byte-swapped and a `byteorder` record saying
                          `big`, as torch >= 2.1 writes on a big-endian machine
  views-legacy.pth        small-module.pt         a small whole module (nested, batch norm, a None submodule, a non-persistent buffer)
  small-module-legacy.pt  the same in the legacy format
  views.pth in the legacy format
  hostile-system.pth      an object whose __reduce__ is os.system('touch MARKER') inside a state dict
  hostile-call.pth        a state dict whose value is built by calling builtins.eval (a GLOBAL off the allow-list)
"""
import argparse
import collections
import io
import json
import math
import os
import sys
import zipfile

import numpy
import torch
import torchvision

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "..", "scripts"))
sys.path.insert(0, os.path.join(HERE, "..", "..", "models", "golden"))
from torch_to_safetensors import save_safetensors  # noqa: E402
from torchvision_golden import randomise_batch_norm  # noqa: E402


def torchvision_files(out_dir, arch, seed):
    torch.manual_seed(seed)
    model = getattr(torchvision.models, arch)()
    randomise_batch_norm(model, torch.Generator().manual_seed(seed))
    model.eval()
    torch.save(model.state_dict(), os.path.join(out_dir, f"{arch}.pth"))
    x = torch.randn(2, 3, 64, 64, generator=torch.Generator().manual_seed(seed + 1))
    with torch.no_grad():
        logits = model(x)
    save_safetensors({"input": x, "logits": logits}, os.path.join(out_dir, f"{arch}.io.safetensors"))
    return model


class XRayDenseNet(torch.nn.Module):
    """torchxrayvision's DenseNet layout: `features` of a densenet121 on 1 channel, 18 outputs, op_threshs."""

    def __init__(self):
        super().__init__()
        dense = torchvision.models.densenet121(num_classes=18)
        dense.features.conv0 = torch.nn.Conv2d(1, 64, kernel_size=7, stride=2, padding=3, bias=False)
        self.features = dense.features
        self.classifier = dense.classifier
        self.register_buffer("op_threshs", torch.linspace(0.1, 0.9, 18))

    def forward(self, x):
        features = torch.nn.functional.relu(self.features(x))
        pooled = torch.nn.functional.adaptive_avg_pool2d(features, 1).flatten(1)
        return self.classifier(pooled)


def module_files(out_dir):
    torch.manual_seed(5)
    model = XRayDenseNet()
    randomise_batch_norm(model, torch.Generator().manual_seed(5))
    model.eval()
    torch.save(model, os.path.join(out_dir, "module.pt"))
    torch.save(model, os.path.join(out_dir, "module-legacy.pt"), _use_new_zipfile_serialization=False)
    x = torch.randn(2, 1, 64, 64, generator=torch.Generator().manual_seed(6))
    with torch.no_grad():
        logits = model(x)
    save_safetensors({"input": x, "logits": logits}, os.path.join(out_dir, "module.io.safetensors"))


def views():
    base = torch.arange(24, dtype=torch.float32).reshape(4, 6) * 0.5 - 3
    return collections.OrderedDict(
        base=base,
        row=base[1],
        column=base[:, 2],
        transposed=base.t(),
        block=base[1:3, 2:5],
        every_other=base.flatten()[3::4],
        half=torch.tensor([[0.0, -1.5], [65504.0, 6.1e-5]], dtype=torch.float16),
        brain=torch.tensor([1.0, -3.140625, 1e30], dtype=torch.bfloat16),
        counter=torch.tensor(2 ** 40 + 3, dtype=torch.int64),
        ids=torch.tensor([-7, 0, 2 ** 31 - 1], dtype=torch.int32),
        bytes=torch.arange(0, 256, 51, dtype=torch.uint8),
        mask=torch.tensor([[True, False, True]]),
        double=torch.tensor([math.pi, -1e300], dtype=torch.float64),
        empty=torch.zeros(0, 3),
    )


def describe(tensors):
    def values(t):
        if t.dtype in (torch.bool, torch.uint8, torch.int32, torch.int64):
            return [str(v) for v in t.flatten().to(torch.int64).tolist()]
        return t.flatten().to(torch.float64).tolist()
    return {name: dict(dtype=str(t.dtype).replace("torch.", ""), shape=list(t.shape), values=values(t))
            for name, t in tensors.items()}


def byte_swapped(src, dst):
    """Rewrites a zip checkpoint with big-endian data records and a `byteorder` record, as torch >= 2.1 does."""
    sizes = {"float32": 4, "float16": 2, "bfloat16": 2, "int64": 8, "int32": 4, "uint8": 1, "bool": 1, "float64": 8}
    tensors = views()
    storages = {}
    for t in tensors.values():
        storages.setdefault(t.storage().data_ptr(), t.dtype)
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w", zipfile.ZIP_STORED) as zout:
        names = zin.namelist()
        prefix = names[0].split("/")[0]
        # Storage keys are numbered in the order the pickler first meets each storage: the dict's order.
        order = []
        for t in tensors.values():
            if t.storage().data_ptr() not in order:
                order.append(t.storage().data_ptr())
        dtype_of_key = {str(i): str(storages[p]).replace("torch.", "") for i, p in enumerate(order)}
        for name in names:
            data = zin.read(name)
            parts = name.split("/")
            if len(parts) == 3 and parts[1] == "data":
                size = sizes[dtype_of_key[parts[2]]]
                data = b"".join(data[i:i + size][::-1] for i in range(0, len(data), size))
            zout.writestr(name, data)
        zout.writestr(f"{prefix}/byteorder", b"big")


class Tagged(torch.Tensor):
    """A tensor subclass: it pickles through torch._tensor._rebuild_from_type_v2."""


class System:
    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (os.system, (f"touch {self.marker}",))


class Call:
    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (eval, (f"open({self.marker!r}, 'w')",))


class Small(torch.nn.Module):
    """A small module tree: nested Sequential, batch norm, a persistent and a non-persistent buffer."""

    def __init__(self):
        super().__init__()
        self.stem = torch.nn.Sequential(torch.nn.Conv2d(2, 3, 3), torch.nn.BatchNorm2d(3))
        self.head = torch.nn.Linear(3, 2)
        self.skip = None
        self.register_buffer("scale", torch.tensor([0.5, 2.0]))
        self.register_buffer("cache", torch.zeros(4), persistent=False)


def reader(out_dir):
    tensors = views()
    torch.save(tensors, os.path.join(out_dir, "views.pth"))
    torch.save(tensors, os.path.join(out_dir, "views-legacy.pth"), _use_new_zipfile_serialization=False)
    byte_swapped(os.path.join(out_dir, "views.pth"), os.path.join(out_dir, "views-big.pth"))

    torch.manual_seed(3)
    resnet = torchvision.models.resnet18()
    optimizer = torch.optim.SGD(resnet.parameters(), lr=0.1, momentum=0.9)
    torch.save({
        "epoch": 12,
        "arch": "resnet18",
        "state_dict": resnet.state_dict(),
        "optimizer": optimizer.state_dict(),
        "args": argparse.Namespace(model="resnet18", lr=0.1, epochs=100),
        "best_metric": numpy.float64(0.8125),
        "version": 2,
    }, os.path.join(out_dir, "wrapped.pth"))

    tagged = torch.arange(4, dtype=torch.float32).as_subclass(Tagged)
    torch.save(collections.OrderedDict(tagged=tagged, plain=torch.ones(2)), os.path.join(out_dir, "tagged.pth"))

    torch.manual_seed(4)
    small = Small()
    torch.save(small, os.path.join(out_dir, "small-module.pt"))
    torch.save(small, os.path.join(out_dir, "small-module-legacy.pt"), _use_new_zipfile_serialization=False)

    marker = os.path.join(out_dir, "MARKER")
    torch.save(collections.OrderedDict(weight=torch.ones(2), evil=System(marker)), os.path.join(out_dir, "hostile-system.pth"))
    torch.save(collections.OrderedDict(weight=torch.ones(2), evil=Call(marker)), os.path.join(out_dir, "hostile-call.pth"))

    print(json.dumps(dict(
        views=describe(tensors),
        wrapped=describe(collections.OrderedDict((k, v) for k, v in resnet.state_dict().items() if k.startswith("layer4.1.bn2"))),
        wrapped_keys=list(resnet.state_dict().keys()),
        small=describe(small.state_dict()),
    )))


def models(out_dir):
    torchvision_files(out_dir, "resnet34", 1)
    torchvision_files(out_dir, "densenet121", 2)
    module_files(out_dir)


if __name__ == "__main__":
    if len(sys.argv) != 3 or sys.argv[1] not in ("reader", "models"):
        sys.exit(__doc__)
    {"reader": reader, "models": models}[sys.argv[1]](sys.argv[2])
