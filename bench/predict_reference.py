"""The PyTorch side of `pneumo bench predict`: the same two-stage pipeline in PyTorch eager with
pydicom decode, on the same files, threads and bundle, timed by stage. The networks are the bundle's
own: built from bundle.json's architectures by bench/registry_models.py and given the bundle's
weights strictly by name, so both sides run the same network with the same weights.

Usage: predict_reference.py THREADS ROUNDS BATCH BUNDLE_DIR FILE... ; prints one JSON line.
"""
import json
import os
import sys
import time

import numpy as np
import pydicom
import torch
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "scripts"))
from registry_models import build, load_strict, parameter_count  # noqa: E402
from siim_rle import rle_encode  # noqa: E402
from torch_to_safetensors import load_safetensors  # noqa: E402

STAGES = ["read", "preprocess", "classify", "segment", "postprocess", "encode"]


def load_model(bundle, entry):
    model = build(entry["config"])
    load_strict(model, load_safetensors(os.path.join(bundle, entry["weights"])), entry["weights"])
    return model.eval()


def read(path):
    """[0, 1] as pneumo's decoder gives it for a file without a VOI window or LUT (the SIIM files): the
    image's min-max range (which Rescale Slope/Intercept does not change), inverted for MONOCHROME1."""
    ds = pydicom.dcmread(path)
    if "WindowCenter" in ds or "VOILUTSequence" in ds:
        raise SystemExit(f"{path}: has a VOI window or LUT; this reference decodes min-max only")
    pixels = ds.pixel_array.astype(np.float32)
    low, high = float(pixels.min()), float(pixels.max())
    image = (pixels - low) / (high - low) if high > low else np.zeros_like(pixels)
    if ds.PhotometricInterpretation == "MONOCHROME1":
        image = 1.0 - image
    return image


def preprocess(images, entry):
    batch = torch.from_numpy(np.stack(images))[:, None]
    contract = entry["input"]  # bundle.json v2's model-input contract
    size = (contract["height"], contract["width"])
    batch = F.adaptive_avg_pool2d(batch, size)  # area average, exact for 1024 -> 512
    return (batch - contract["normalization"]["mean"]) / contract["normalization"]["std"]


def pipeline(files, models, manifest, timings, probabilities=None):
    classifier, segmenter = models
    thresholds = manifest["thresholds"]
    t0 = time.perf_counter()
    images = [read(f) for f in files]
    t1 = time.perf_counter()
    x = preprocess(images, manifest["classifier"])
    same_input = manifest["classifier"]["input"] == manifest["segmenter"]["input"]
    xs = x if same_input else preprocess(images, manifest["segmenter"])
    t2 = time.perf_counter()
    probability = torch.sigmoid(classifier(x))
    chosen = (probability >= thresholds["classifier"]).nonzero().flatten()
    t3 = time.perf_counter()
    maps = torch.sigmoid(segmenter(xs[chosen])) if len(chosen) > 0 else None
    t4 = time.perf_counter()
    masks = []
    for k, i in enumerate(chosen.tolist()):
        full = F.interpolate(maps[k : k + 1], size=images[i].shape, mode="bilinear", align_corners=False)
        masks.append((full[0, 0] > thresholds["pixel"]).numpy().astype(np.uint8))
    t5 = time.perf_counter()
    rles = [rle_encode(m) for m in masks]
    t6 = time.perf_counter()
    for key, value in zip(STAGES, [t1 - t0, t2 - t1, t3 - t2, t4 - t3, t5 - t4, t6 - t5]):
        timings[key] += value * 1000
    if probabilities is not None:
        probabilities.extend(probability.tolist())
    return rles


def main():
    threads, rounds, batch = (int(a) for a in sys.argv[1:4])
    bundle = sys.argv[4]
    files = sys.argv[5:]
    torch.set_num_threads(threads)
    with open(os.path.join(bundle, "bundle.json")) as f:
        manifest = json.load(f)
    models = (load_model(bundle, manifest["classifier"]), load_model(bundle, manifest["segmenter"]))
    with torch.no_grad():
        pipeline(files[:1], models, manifest, {k: 0.0 for k in STAGES})  # warm-up
        latency = {k: 0.0 for k in STAGES}
        probabilities = []
        n = 0
        for r in range(rounds):
            for f in files:
                pipeline([f], models, manifest, latency, probabilities if r == 0 else None)
                n += 1
        latency = {k: v / n for k, v in latency.items()}
        start = time.perf_counter()
        done = 0
        for _ in range(rounds):
            for i in range(0, len(files), batch):
                pipeline(files[i : i + batch], models, manifest, {k: 0.0 for k in STAGES})
                done += len(files[i : i + batch])
        throughput = done / (time.perf_counter() - start)
    print(json.dumps({
        "latency_ms": latency,
        "latency_total_ms": sum(latency.values()),
        "images_per_s": throughput,
        "parameters": {"classifier": parameter_count(models[0]), "segmenter": parameter_count(models[1])},
        "classifier_probabilities": probabilities,
        "versions": f"torch {torch.__version__}, pydicom {pydicom.__version__}, numpy {np.__version__}",
    }))


if __name__ == "__main__":
    main()
