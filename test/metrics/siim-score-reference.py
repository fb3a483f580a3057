# Independent reference for test/evaluate/siim-score.test.ts: builds the shifted prediction of the SIIM
# sample and scores it with the Kaggle-style decoder of scripts/siim_rle.py in NumPy (masks OR-ed, mean
# Dice, empty/empty = 1).
# Run with Debian's python3: /usr/bin/python3 test/metrics/siim-score-reference.py ../shared/fixtures/siim-sample/train-rle-sample.csv
import os
import sys

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..', 'scripts'))
from siim_rle import rle_decode  # noqa: E402


def groups(rows):
    out = {}
    for image_id, rle in rows:
        out.setdefault(image_id, []).append(rle)
    return out


lines = open(sys.argv[1], encoding='utf-8-sig').read().split('\n')
truth = [tuple(line.split(',')) for line in lines]
prediction = []
for i, (image_id, rle) in enumerate(truth):
    numbers = rle.strip().split()
    if numbers[0] != '-1':
        prediction.append((image_id, ' '.join([str(int(numbers[0]) + 37 * (i + 1))] + numbers[1:])))
        prediction.append((image_id, ' '.join(numbers[:40])))
    else:
        prediction.append((image_id, '1000 500' if i % 2 else '-1'))

t, p = groups(truth), groups(prediction)
scores = []
for image_id, rows in t.items():
    a = rle_decode(rows).astype(bool)
    b = rle_decode(p[image_id]).astype(bool)
    total = a.sum() + b.sum()
    scores.append(1.0 if total == 0 else 2 * (a & b).sum() / total)
print('%.6f' % np.mean(scores))
