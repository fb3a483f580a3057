# The PyTorch side of `pneumo bench train`: the same training step as bench/train-step.ts, on the same
# architecture built from torchvision (Debian's /usr/bin/python3), in its own process so that its peak
# resident memory (VmHWM) is measured as the TypeScript child's is.
#   unet-<resnet>: torchvision ResNet features at strides 2..32 (relu(bn1(conv1)), layer1..4) and the
#     smp-style U-Net decoder that src/models/unet.ts builds: per block nearest x2, concat skip,
#     conv3x3-BN-ReLU twice; decoder channels 256,128,64,32,16; a 3x3 conv head to one logit.
#     Loss BCE + soft Dice per image.
#   classifier-densenet121: torchvision DenseNet-121 features, ReLU, global average pooling, dropout
#     0.2 and a linear layer to one logit. Loss BCE.
# Both: one input channel, AdamW (lr 1e-3, weight decay 1e-4), gradient clipping at norm 5.
# Usage: train_reference.py '{"model": ..., "size": 256, "batch": 8, "steps": 8, "warmup": 2, "threads": 2}'
import json
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F
import torchvision


def conv_bn_relu(cin, cout):
    return nn.Sequential(nn.Conv2d(cin, cout, 3, padding=1, bias=False), nn.BatchNorm2d(cout), nn.ReLU(inplace=True))


class DecoderBlock(nn.Module):
    def __init__(self, cin, cskip, cout):
        super().__init__()
        self.conv1 = conv_bn_relu(cin + cskip, cout)
        self.conv2 = conv_bn_relu(cout, cout)

    def forward(self, x, skip):
        x = F.interpolate(x, scale_factor=2, mode='nearest')
        if skip is not None:
            x = torch.cat([x, skip], 1)
        return self.conv2(self.conv1(x))


class Unet(nn.Module):
    def __init__(self, encoder_name, decoder_channels=(256, 128, 64, 32, 16)):
        super().__init__()
        r = getattr(torchvision.models, encoder_name)()
        r.conv1 = nn.Conv2d(1, 64, 7, 2, 3, bias=False)
        del r.fc  # an encoder: no ImageNet head, as in src/models
        self.encoder = r
        expansion = 4 if encoder_name in ('resnet50', 'resnet101', 'resnet152') else 1
        channels = [64, 64 * expansion, 128 * expansion, 256 * expansion, 512 * expansion]
        reversed_ = channels[::-1]
        ins = [reversed_[0]] + list(decoder_channels[:-1])
        skips = reversed_[1:] + [0]
        self.blocks = nn.ModuleList([DecoderBlock(i, s, o) for i, s, o in zip(ins, skips, decoder_channels)])
        self.head = nn.Conv2d(decoder_channels[-1], 1, 3, padding=1)

    def forward(self, x):
        e = self.encoder
        stem = e.relu(e.bn1(e.conv1(x)))
        f1 = e.layer1(e.maxpool(stem))
        f2 = e.layer2(f1)
        f3 = e.layer3(f2)
        f4 = e.layer4(f3)
        skips = [f3, f2, f1, stem, None]
        y = f4
        for block, skip in zip(self.blocks, skips):
            y = block(y, skip)
        return self.head(y)


class Classifier(nn.Module):
    def __init__(self, encoder_name):
        super().__init__()
        d = getattr(torchvision.models, encoder_name)()
        d.features.conv0 = nn.Conv2d(1, 64, 7, 2, 3, bias=False)
        self.features = d.features
        self.head = nn.Sequential(nn.Dropout(0.2), nn.Linear(d.classifier.in_features, 1))

    def forward(self, x):
        y = F.relu(self.features(x))
        return self.head(torch.flatten(F.adaptive_avg_pool2d(y, 1), 1)).reshape(-1)


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
    segmentation = name.startswith('unet-')
    model = Unet(name[len('unet-'):]) if segmentation else Classifier(name[len('classifier-'):])
    model.train()
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-3, weight_decay=1e-4)
    g = torch.Generator().manual_seed(7)
    images = torch.randn(batch, 1, size, size, generator=g)
    masks = (torch.rand(batch, 1, size, size, generator=g) > 0.8).float()
    labels = (torch.arange(batch) % 2).float()
    times = []
    for step in range(job['warmup'] + job['steps']):
        start = time.perf_counter()
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
    params = sum(p.numel() for p in model.parameters())
    print(json.dumps({'side': 'pytorch', 'model': name, 'parameters': params, 'stepMs': times, 'vmHwmKiB': vm_hwm_kib(), 'torch': torch.__version__}))


main()
