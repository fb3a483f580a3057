#!/usr/bin/python3
"""The Python side of `pneumo bench data`: pydicom + numpy + Pillow doing what the TypeScript side
does per image (read the file, decode the pixels, to float in [0, 1] by min-max, resize to 512x512),
on one thread. Prints one JSON object. Usage: data_python.py ROUNDS FILE..."""
import json
import sys
import time

import numpy as np
import pydicom
from PIL import Image


def load(path):
    arr = pydicom.dcmread(path).pixel_array.astype(np.float32)
    lo, hi = float(arr.min()), float(arr.max())
    arr = (arr - lo) / (hi - lo) if hi > lo else np.zeros_like(arr)
    return np.asarray(Image.fromarray(arr, mode='F').resize((512, 512), Image.BILINEAR))


def main():
    rounds = int(sys.argv[1])
    files = sys.argv[2:]
    for f in files:  # warm-up: imports, caches
        load(f)
    start = time.perf_counter()
    n = 0
    for _ in range(rounds):
        for f in files:
            out = load(f)
            assert out.shape == (512, 512)
            n += 1
    elapsed = time.perf_counter() - start
    print(json.dumps({'images': n, 'seconds': elapsed, 'images_per_s': n / elapsed,
                      'pydicom': pydicom.__version__, 'numpy': np.__version__, 'pillow': Image.__version__}))


if __name__ == '__main__':
    main()
