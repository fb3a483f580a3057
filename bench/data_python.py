#!/usr/bin/python3
"""The Python side of `pneumo bench data`: pydicom + numpy + Pillow doing what the TypeScript side
does per image (read the file, decode the pixels, resize to 512x512, to float in [0, 1] by min-max),
on one thread, three ways: staying in 8 bits until after the resize (Pillow's fast path on SIIM's 8-bit
files, the fair comparison) with Pillow's bilinear filter, the same with Pillow's box filter (at whole
factors the same 2x2 mean as ours, and Pillow's cheapest resize), and converting to float first.
Prints one JSON object.
Usage: data_python.py ROUNDS FILE..."""
import json
import sys
import time

import numpy as np
import pydicom
from PIL import Image


def min_max(arr):
    arr = arr.astype(np.float32)
    lo, hi = float(arr.min()), float(arr.max())
    return (arr - lo) / (hi - lo) if hi > lo else np.zeros_like(arr)


def load_float_first(path):
    arr = min_max(pydicom.dcmread(path).pixel_array)
    return np.asarray(Image.fromarray(arr, mode='F').resize((512, 512), Image.BILINEAR))


def load_8bit(path, resample=Image.BILINEAR):
    arr = pydicom.dcmread(path).pixel_array
    if arr.dtype != np.uint8:
        raise SystemExit(f'{path}: not 8-bit samples ({arr.dtype})')
    return min_max(np.asarray(Image.fromarray(arr, mode='L').resize((512, 512), resample)))


def load_8bit_box(path):
    return load_8bit(path, Image.BOX)


def images_per_s(load, files, rounds):
    for f in files:  # warm-up: imports, caches
        load(f)
    start = time.perf_counter()
    n = 0
    for _ in range(rounds):
        for f in files:
            out = load(f)
            assert out.shape == (512, 512)
            n += 1
    return n / (time.perf_counter() - start)


def main():
    rounds = int(sys.argv[1])
    files = sys.argv[2:]
    print(json.dumps({'images': rounds * len(files),
                      'images_per_s_8bit': images_per_s(load_8bit, files, rounds),
                      'images_per_s_8bit_box': images_per_s(load_8bit_box, files, rounds),
                      'images_per_s_float_first': images_per_s(load_float_first, files, rounds),
                      'pydicom': pydicom.__version__, 'numpy': np.__version__, 'pillow': Image.__version__}))


if __name__ == '__main__':
    main()
