# Independent reference for test/evaluate/siim-score.test.ts: builds the shifted prediction of the SIIM
# sample and scores it with a Kaggle-style rle2mask in NumPy (masks OR-ed, mean Dice, empty/empty = 1).
# Run with Debian's python3: /usr/bin/python3 test/evaluate/siim-score-reference.py ../shared/fixtures/siim-sample/train-rle-sample.csv
import sys
import numpy as np


def rle2mask(rle, width=1024, height=1024):
    flat = np.zeros(width * height, np.uint8)
    if rle.strip() not in ('', '-1'):
        numbers = [int(x) for x in rle.split()]
        position = 0
        for gap, length in zip(numbers[0::2], numbers[1::2]):
            position += gap
            flat[position:position + length] = 1
            position += length
    return flat.reshape(width, height).T  # column-major numbering


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
    a = np.zeros((1024, 1024), bool)
    b = np.zeros((1024, 1024), bool)
    for r in rows:
        a |= rle2mask(r).astype(bool)
    for r in p[image_id]:
        b |= rle2mask(r).astype(bool)
    total = a.sum() + b.sum()
    scores.append(1.0 if total == 0 else 2 * (a & b).sum() / total)
print('%.6f' % np.mean(scores))
