# The PyTorch side of `pneumo bench train`: the same training step as bench/train-step.ts, on the same
# architecture (Debian's /usr/bin/python3), in its own process so that its peak resident memory (VmHWM)
# is measured as the TypeScript child's is. The model is the job's resolved registry config built by
# bench/registry_models.py, module for module as src/models builds it (e.g. unet-resnet34: torchvision's
# ResNet-34 under the smp-style U-Net decoder; classifier-densenet121: torchvision's DenseNet-121
# features, ReLU, average pooling, dropout, one logit). Loss: BCE + soft Dice per image for a U-Net,
# BCE for a classifier. Both: one input channel, AdamW (lr 1e-3, weight decay 1e-4), gradient clipping
# at norm 5.
# With referencePrecision bf16 (bench fit) the forward runs under bf16 autocast, the loss in fp32.
# Usage: train_reference.py '{"model": ..., "config": {...}, "size": 256, "batch": 8, "steps": 8, "warmup": 2, "threads": 2}'
import json
import os
import sys
import time

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from registry_models import build, parameter_count  # noqa: E402


def soft_dice(logits, target, smooth=1.0):
    n = logits.shape[0]
    p = torch.sigmoid(logits).reshape(n, -1)
    t = target.reshape(n, -1)
    return (1 - (2 * (p * t).sum(1) + smooth) / (p.sum(1) + t.sum(1) + smooth)).mean()


def vm_hwm_kib():
    with open('/proc/self/status') as f:
        for line in f:
            if line.startswith('VmHWM:'):
                return int(line.split()[1])
    return None


def main():
    job = json.loads(sys.argv[1])
    torch.set_num_threads(job['threads'])
    torch.manual_seed(1)
    name, size, batch = job['model'], job['size'], job['batch']
    segmentation = job['config']['task'] == 'segmentation'
    device = torch.device(job.get('device', 'cpu'))
    model = build(job['config']).to(device)
    model.train()
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-3, weight_decay=1e-4)
    g = torch.Generator().manual_seed(7)
    images = torch.randn(batch, 1, size, size, generator=g)
    masks = (torch.rand(batch, 1, size, size, generator=g) > 0.8).float()
    labels = (torch.arange(batch) % 2).float()
    images, masks, labels = images.to(device), masks.to(device), labels.to(device)
    times = []
    for step in range(job['warmup'] + job['steps']):
        start = time.perf_counter()
        if job.get('referencePrecision') == 'bf16':
            with torch.autocast(device_type=device.type, dtype=torch.bfloat16):
                out = model(images)
            out = out.float()
        else:
            out = model(images)
        if segmentation:
            loss = F.binary_cross_entropy_with_logits(out, masks) + soft_dice(out, masks)
        else:
            loss = F.binary_cross_entropy_with_logits(out, labels)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 5.0)
        optimizer.step()
        loss.item()
        if step >= job['warmup']:
            times.append((time.perf_counter() - start) * 1000)
    params = parameter_count(model)
    print(json.dumps({'side': 'pytorch', 'model': name, 'parameters': params, 'stepMs': times, 'vmHwmKiB': vm_hwm_kib(), 'torch': torch.__version__}))


main()
