#!/usr/bin/env python3
"""torch.load's side of `pneumo bench checkpoint`: the median seconds of torch.load(FILE, map_location='cpu')
over REPS calls for each FILE, as JSON {file: seconds}. (torch 1.13 has no weights_only loader; this is the
general unpickler, so the comparison favours PyTorch slightly.)

  checkpoint_load.py REPS FILE...
"""
import json
import os
import statistics
import sys
import time

import torch

# The whole-module files pickle the fixture script's class as __main__.XRayDenseNet; torch.load needs it there.
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "test", "torch", "golden"))
import __main__  # noqa: E402
from checkpoint_reference import XRayDenseNet  # noqa: E402

__main__.XRayDenseNet = XRayDenseNet


def main():
    reps = int(sys.argv[1])
    result = {}
    for file in sys.argv[2:]:
        times = []
        for _ in range(reps):
            start = time.perf_counter()
            obj = torch.load(file, map_location="cpu")
            times.append(time.perf_counter() - start)
            del obj
        result[file] = statistics.median(times)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
