"""The SIIM RLE codec in NumPy (ARCHITECTURE.md, "SIIM RLE"), the way the Kaggle kernels write it, for the
Python reference scripts of test/ and bench/: pairs of (gap, length), the first gap counted from pixel 0
and every later one from the end of the previous run; pixels numbered column by column; `-1` (or an
empty field) for an empty mask.
"""
import numpy as np


def rle_decode(rows, width=1024, height=1024):
    """The mask [height, width] (uint8 0/1) of an image's RLE rows, OR-ed together."""
    flat = np.zeros(width * height, np.uint8)
    for rle in rows:
        if rle.strip() in ("", "-1"):
            continue
        numbers = np.asarray(rle.split(), dtype=np.int64)
        position = 0
        for gap, length in zip(numbers[0::2], numbers[1::2]):
            position += gap
            flat[position:position + length] = 1
            position += length
    return flat.reshape(width, height).T


def rle_encode(mask):
    """The RLE of a [height, width] 0/1 mask; `-1` when it is empty."""
    pixels = np.concatenate([[0], mask.T.flatten(), [0]])
    runs = np.where(pixels[1:] != pixels[:-1])[0]
    runs[1::2] -= runs[::2]
    starts, lengths = runs[::2].copy(), runs[1::2]
    gaps = starts.copy()
    gaps[1:] = starts[1:] - (starts[:-1] + lengths[:-1])
    return " ".join(f"{g} {n}" for g, n in zip(gaps, lengths)) if len(starts) else "-1"
