"""The PyTorch side of `pneumo bench predict`: the same two-stage pipeline in PyTorch eager with
pydicom decode, on the same files, threads and input size, timed by stage. The networks are the
stand-ins of bench/predict-models.ts, built identically (random weights: time, not quality).

Usage: predict_reference.py THREADS INPUT_SIZE ROUNDS BATCH FILE... ; prints one JSON line.
"""
import json
import sys
import time

import numpy as np
import pydicom
import torch
import torch.nn as nn
import torch.nn.functional as F

CHANNELS = [16, 32, 64, 128]
MEAN, STD = 0.449, 0.226


def block(cin, cout):
    return nn.Sequential(
        nn.Conv2d(cin, cout, 3, padding=1, bias=False), nn.BatchNorm2d(cout), nn.ReLU(),
        nn.Conv2d(cout, cout, 3, padding=1, bias=False), nn.BatchNorm2d(cout), nn.ReLU(),
    )


class Encoder(nn.Module):
    def __init__(self):
        super().__init__()
        self.stages = nn.ModuleList([block(1 if i == 0 else CHANNELS[i - 1], c) for i, c in enumerate(CHANNELS)])

    def features(self, x):
        out = []
        for i, stage in enumerate(self.stages):
            x = stage(x if i == 0 else F.max_pool2d(x, 2))
            out.append(x)
        return out


class Classifier(nn.Module):
    def __init__(self):
        super().__init__()
        self.encoder = Encoder()
        self.fc = nn.Linear(CHANNELS[-1], 1)

    def forward(self, x):
        return self.fc(F.adaptive_avg_pool2d(self.encoder.features(x)[-1], 1).flatten(1)).reshape(-1)


class Unet(nn.Module):
    def __init__(self):
        super().__init__()
        c = CHANNELS
        self.encoder = Encoder()
        skips = list(reversed(c[:-1]))
        self.decoder = nn.ModuleList([block(c[len(c) - 1 - k] + s, s) for k, s in enumerate(skips)])
        self.head = nn.Conv2d(c[0], 1, 1)

    def forward(self, x):
        f = self.encoder.features(x)
        h = f[-1]
        for k, stage in enumerate(self.decoder):
            h = stage(torch.cat([F.interpolate(h, scale_factor=2, mode="nearest"), f[len(f) - 2 - k]], 1))
        return self.head(h)


def read(path):
    ds = pydicom.dcmread(path)
    pixels = ds.pixel_array.astype(np.float32)
    bits = int(ds.BitsStored)
    image = pixels / float((1 << bits) - 1)
    if ds.PhotometricInterpretation == "MONOCHROME1":
        image = 1.0 - image
    return image


def preprocess(images, size):
    batch = torch.from_numpy(np.stack(images))[:, None]
    batch = F.adaptive_avg_pool2d(batch, size)  # area average, exact for 1024 -> 512
    return (batch - MEAN) / STD


def mask_to_rle(mask):
    """SIIM RLE, column-major, (gap, length) pairs relative to the previous run end."""
    pixels = np.concatenate([[0], mask.T.flatten(), [0]])
    runs = np.where(pixels[1:] != pixels[:-1])[0]
    runs[1::2] -= runs[::2]
    starts, lengths = runs[::2].copy(), runs[1::2]
    gaps = starts.copy()
    gaps[1:] = starts[1:] - (starts[:-1] + lengths[:-1])
    return " ".join(f"{g} {l}" for g, l in zip(gaps, lengths)) if len(starts) else "-1"


def pipeline(files, classifier, segmenter, size, timings):
    t0 = time.perf_counter()
    images = [read(f) for f in files]
    t1 = time.perf_counter()
    x = preprocess(images, size)
    t2 = time.perf_counter()
    probability = torch.sigmoid(classifier(x))
    chosen = (probability >= 0.0).nonzero().flatten()  # threshold 0: every image is segmented
    t3 = time.perf_counter()
    maps = torch.sigmoid(segmenter(x[chosen]))
    t4 = time.perf_counter()
    masks = []
    for k, image in enumerate(images):
        full = F.interpolate(maps[k : k + 1], size=image.shape, mode="bilinear", align_corners=False)
        masks.append((full[0, 0] > 0.5).numpy().astype(np.uint8))
    t5 = time.perf_counter()
    rles = [mask_to_rle(m) for m in masks]
    t6 = time.perf_counter()
    for key, value in zip(["read", "preprocess", "classify", "segment", "postprocess", "encode"], [t1 - t0, t2 - t1, t3 - t2, t4 - t3, t5 - t4, t6 - t5]):
        timings[key] += value * 1000
    return rles


def main():
    threads, size, rounds, batch = (int(a) for a in sys.argv[1:5])
    files = sys.argv[5:]
    torch.set_num_threads(threads)
    torch.manual_seed(0)
    classifier, segmenter = Classifier().eval(), Unet().eval()
    stages = ["read", "preprocess", "classify", "segment", "postprocess", "encode"]
    with torch.no_grad():
        pipeline(files[:1], classifier, segmenter, size, {k: 0.0 for k in stages})  # warm-up
        latency = {k: 0.0 for k in stages}
        n = 0
        for _ in range(rounds):
            for f in files:
                pipeline([f], classifier, segmenter, size, latency)
                n += 1
        latency = {k: v / n for k, v in latency.items()}
        start = time.perf_counter()
        done = 0
        for _ in range(rounds):
            for i in range(0, len(files), batch):
                pipeline(files[i : i + batch], classifier, segmenter, size, {k: 0.0 for k in stages})
                done += len(files[i : i + batch])
        throughput = done / (time.perf_counter() - start)
    print(json.dumps({
        "latency_ms": latency,
        "latency_total_ms": sum(latency.values()),
        "images_per_s": throughput,
        "versions": f"torch {torch.__version__}, pydicom {pydicom.__version__}, numpy {np.__version__}",
    }))


if __name__ == "__main__":
    main()
