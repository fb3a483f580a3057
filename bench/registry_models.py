"""PyTorch builds of pneumo's registry architectures (src/models/registry.ts), module for module, so
that the benchmarks' PyTorch side runs the very network that pneumo runs and a pneumo state dict
loads into it strictly by name (`build` then `load_strict`).

  ResNet encoders: torchvision's own ResNet, BasicBlock and Bottleneck, at any stem width. torchvision
    fixes the width at 64; the registry's resnet18-w16 (tests, the CPU demo) is ResNet-18 at 16, so the
    encoder sets the width itself and builds its stages with torchvision's _make_layer. No `fc`.
  U-Net: src/models/unet.ts (segmentation_models.pytorch's layout): per decoder block nearest x2 (or a
    2x2 stride-2 transposed conv), concatenate the skip, [scSE], conv-[bn]-relu twice, [scSE]; a 3x3
    conv head to one logit per pixel; optionally an image-level head on the deepest map.
  DenseNet-121 encoder (classifiers only): torchvision's `features` with a first conv for the input
    channels, then a ReLU, as src/models/densenet.ts's forwardHead.
  Classifier: src/models/classifier.ts: the encoder's last map, average (or average and max) pooling,
    dropout, one linear logit.

`config` is the model's resolved config as bundle.json and run.json record it (camelCase keys).
"""
import torch
import torch.nn as nn
import torch.nn.functional as F
import torchvision
from torchvision.models.resnet import BasicBlock, Bottleneck, ResNet

# name -> (block, blocks per stage, stem width), as src/models/resnet.ts's table.
RESNETS = {
    "resnet18": (BasicBlock, [2, 2, 2, 2], 64),
    "resnet34": (BasicBlock, [3, 4, 6, 3], 64),
    "resnet50": (Bottleneck, [3, 4, 6, 3], 64),
    "resnet18-w16": (BasicBlock, [2, 2, 2, 2], 16),
}

UNET_STRIDE = 32


class ResNetEncoder(ResNet):
    """torchvision's ResNet module tree (conv1, bn1, relu, maxpool, layer1..4, avgpool) at `width`, no fc."""

    def __init__(self, name, in_channels):
        if name not in RESNETS:
            raise ValueError(f"no PyTorch build of encoder `{name}` here (supported: {', '.join(RESNETS)})")
        block, layers, width = RESNETS[name]
        nn.Module.__init__(self)
        # The attributes torchvision's _make_layer reads.
        self._norm_layer = nn.BatchNorm2d
        self.inplanes, self.dilation, self.groups, self.base_width = width, 1, 1, 64
        self.conv1 = nn.Conv2d(in_channels, width, kernel_size=7, stride=2, padding=3, bias=False)
        self.bn1 = nn.BatchNorm2d(width)
        self.relu = nn.ReLU(inplace=True)
        self.maxpool = nn.MaxPool2d(kernel_size=3, stride=2, padding=1)
        self.layer1 = self._make_layer(block, width, layers[0])
        self.layer2 = self._make_layer(block, width * 2, layers[1], stride=2)
        self.layer3 = self._make_layer(block, width * 4, layers[2], stride=2)
        self.layer4 = self._make_layer(block, width * 8, layers[3], stride=2)
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.out_channels = [width] + [width * 2**i * block.expansion for i in range(4)]
        self.head_channels = self.out_channels[-1]

    def features(self, x):
        """The five maps at strides 2, 4, 8, 16, 32."""
        stem = self.relu(self.bn1(self.conv1(x)))
        f1 = self.layer1(self.maxpool(stem))
        f2 = self.layer2(f1)
        f3 = self.layer3(f2)
        return [stem, f1, f2, f3, self.layer4(f3)]

    def forward(self, x):
        return self.features(x)[-1]


class DenseNetEncoder(nn.Module):
    """torchvision's densenet121 `features` (conv0 for `in_channels`), no classifier; the map a classifier
    pools. No U-Net feature maps: a U-Net here takes ResNet encoders only."""

    def __init__(self, in_channels):
        super().__init__()
        self.features = torchvision.models.densenet121().features
        self.features.conv0 = nn.Conv2d(in_channels, 64, kernel_size=7, stride=2, padding=3, bias=False)
        self.head_channels = self.features.norm5.num_features

    def forward(self, x):
        return F.relu(self.features(x))


def make_encoder(name, in_channels):
    return DenseNetEncoder(in_channels) if name == "densenet121" else ResNetEncoder(name, in_channels)


def conv_bn_relu(cin, cout, batch_norm):
    layers = [nn.Conv2d(cin, cout, 3, padding=1, bias=not batch_norm)]
    if batch_norm:
        layers.append(nn.BatchNorm2d(cout))
    layers.append(nn.ReLU(inplace=True))
    return nn.Sequential(*layers)


class Scse(nn.Module):
    def __init__(self, channels, reduction=16):
        super().__init__()
        squeezed = max(1, channels // reduction)
        self.cSE = nn.Sequential(
            nn.AdaptiveAvgPool2d(1), nn.Conv2d(channels, squeezed, 1), nn.ReLU(inplace=True),
            nn.Conv2d(squeezed, channels, 1), nn.Sigmoid(),
        )
        self.sSE = nn.Sequential(nn.Conv2d(channels, 1, 1), nn.Sigmoid())

    def forward(self, x):
        return x * self.cSE(x) + x * self.sSE(x)


class Attention(nn.Module):
    def __init__(self, kind, channels):
        super().__init__()
        self.attention = Scse(channels) if kind == "scse" else nn.Identity()

    def forward(self, x):
        return self.attention(x)


class DecoderBlock(nn.Module):
    def __init__(self, cin, cskip, cout, config):
        super().__init__()
        transposed = config["upsampling"] == "transposed"
        self.upsample = nn.ConvTranspose2d(cin, cin, 2, stride=2) if transposed else None
        self.conv1 = conv_bn_relu(cin + cskip, cout, config["batchNorm"])
        self.attention1 = Attention(config["attention"] if cskip > 0 else None, cin + cskip)
        self.conv2 = conv_bn_relu(cout, cout, config["batchNorm"])
        self.attention2 = Attention(config["attention"], cout)

    def forward(self, x, skip):
        x = self.upsample(x) if self.upsample is not None else F.interpolate(x, scale_factor=2, mode="nearest")
        if skip is not None:
            x = self.attention1(torch.cat([x, skip], 1))
        return self.attention2(self.conv2(self.conv1(x)))


class UnetDecoder(nn.Module):
    def __init__(self, encoder_channels, config):
        super().__init__()
        decoder = config["decoderChannels"]
        reversed_ = list(reversed(encoder_channels))
        ins = [reversed_[0]] + list(decoder[:-1])
        skips = reversed_[1:] + [0]
        self.center = nn.Identity()
        self.blocks = nn.ModuleList(DecoderBlock(i, s, o, config) for i, s, o in zip(ins, skips, decoder))

    def forward(self, features):
        skips = list(reversed(features))
        x = skips[0]
        for i, block in enumerate(self.blocks):
            x = block(x, skips[i + 1] if i + 1 < len(skips) else None)
        return x


class Unet(nn.Module):
    def __init__(self, config):
        super().__init__()
        self.config = config
        self.encoder = ResNetEncoder(config["encoder"], config["inChannels"])
        self.decoder = UnetDecoder(self.encoder.out_channels, config)
        self.segmentation_head = nn.Sequential(nn.Conv2d(config["decoderChannels"][-1], 1, 3, padding=1))
        self.classification_head = None
        if config["auxHead"]:
            self.classification_head = nn.Sequential(
                nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Dropout(config["auxDropout"]),
                nn.Linear(self.encoder.out_channels[-1], 1),
            )

    def forward(self, x):
        """Mask logits [N, 1, H, W] (sides multiples of 32, as the benchmark's inputs are)."""
        if x.shape[2] % UNET_STRIDE or x.shape[3] % UNET_STRIDE:
            raise ValueError(f"input {tuple(x.shape)}: sides must be multiples of {UNET_STRIDE} here")
        return self.segmentation_head(self.decoder(self.encoder.features(x)))


class Classifier(nn.Module):
    def __init__(self, config):
        super().__init__()
        self.config = config
        self.encoder = make_encoder(config["encoder"], config["inChannels"])
        features = self.encoder.head_channels * (2 if config["pooling"] == "avgmax" else 1)
        self.head = nn.Sequential(nn.Dropout(config["dropout"]), nn.Linear(features, 1))

    def forward(self, x):
        """One logit per image, [N]."""
        deepest = self.encoder(x)
        pooled = torch.flatten(F.adaptive_avg_pool2d(deepest, 1), 1)
        if self.config["pooling"] == "avgmax":
            pooled = torch.cat([pooled, torch.flatten(F.adaptive_max_pool2d(deepest, 1), 1)], 1)
        return self.head(pooled).reshape(-1)


def build(config):
    """The model of a resolved registry config (bundle.json's `config`), with random weights."""
    if config["task"] == "segmentation":
        return Unet(config)
    if config["task"] == "classification":
        return Classifier(config)
    raise ValueError(f"{config.get('name')}: unknown task {config.get('task')!r}")


def parameter_count(model):
    return sum(p.numel() for p in model.parameters())


def load_strict(model, tensors, label):
    """Loads a state dict whose names and shapes must match the model's exactly; one-line error otherwise."""
    own = model.state_dict()
    missing = [k for k in own if k not in tensors]
    unexpected = [k for k in tensors if k not in own]
    misshaped = [f"{k} (model {list(own[k].shape)}, file {list(tensors[k].shape)})"
                 for k in own if k in tensors and own[k].shape != tensors[k].shape]
    if missing or unexpected or misshaped:
        raise SystemExit(
            f"{label} does not fit the PyTorch build of {model.config['name']}: "
            f"missing {missing[:5]} ({len(missing)}), unexpected {unexpected[:5]} ({len(unexpected)}), "
            f"misshaped {misshaped[:5]}"
        )
    model.load_state_dict(tensors, strict=True)
    return model
