import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { computeLabelFacts, intervalGeometry } from '../../../src/report/eda/label-facts.js';
import { decodeRleRows, encodeRle, rleIntervals } from '../../../src/data/rle.js';
import { emptyMask } from '../../../src/data/image.js';
import { Rng } from '../../../src/data/random.js';
import { readLabelCsv } from '../../../src/data/labels.js';
import { SIIM_SAMPLE } from '../../fixture-path.js';

// 4x4 images; SIIM RLE numbers pixels column by column, so k = column * 4 + row.
const ROWS = [
  { imageId: 'A', encodedPixels: '-1' },
  { imageId: 'B', encodedPixels: '1 2' }, // column 0, rows 1-2
  { imageId: 'B', encodedPixels: ' 1  2 ' }, // the same row again, spaced differently
  { imageId: 'B', encodedPixels: '8 1' }, // second part: column 2, row 0
  { imageId: 'C', encodedPixels: '-1' },
  { imageId: 'C', encodedPixels: ' -1' },
  { imageId: 'D', encodedPixels: '-1' },
  { imageId: 'D', encodedPixels: '0 1' }, // mixed: -1 and a mask; column 0, row 0
  { imageId: 'E', encodedPixels: '14 5' }, // runs past the 16th pixel
];
const SMALL = { sizeOf: () => ({ width: 4, height: 4 }), gridSize: 2 };

test('counts: rows, images, duplicates and the images they touch, classes, mixed images', () => {
  const { facts } = computeLabelFacts(ROWS, SMALL);
  assert.equal(facts.rows, 9);
  assert.equal(facts.images, 5);
  assert.equal(facts.duplicateRows, 2);
  assert.equal(facts.imagesWithDuplicateRows, 2);
  assert.equal(facts.positive, 3);
  assert.equal(facts.negative, 2);
  assert.equal(facts.positiveRate, 0.6);
  assert.equal(facts.negativeRate, 0.4);
  assert.deepEqual(facts.mixedImages, ['D']);
  assert.deepEqual(facts.rowsPerPositiveImage, [
    { maskRows: 1, images: 2 },
    { maskRows: 2, images: 1 },
  ]);
});

test('masks: OR-ed area, box and share; a bad row is reported and leaves the size unknown', () => {
  const { facts, images } = computeLabelFacts(ROWS, SMALL);
  const b = images.get('B')!;
  assert.equal(b.maskPixels, 3);
  assert.equal(b.maskShare, 3 / 16);
  assert.deepEqual(b.maskBox, { top: 0, left: 0, bottom: 2, right: 2 });
  assert.equal(images.get('D')!.maskPixels, 1);
  assert.equal(images.get('A')!.maskPixels, 0);
  const e = images.get('E')!;
  assert.equal(e.positive, true);
  assert.equal(e.maskPixels, null);
  assert.equal(facts.badRows.length, 1);
  assert.equal(facts.badRows[0].imageId, 'E');
  assert.match(facts.badRows[0].reason, /^E: .*past the end/);
  assert.deepEqual(
    [facts.maskPixels?.min, facts.maskPixels?.median, facts.maskPixels?.max, facts.maskPixels?.count],
    [1, 2, 3, 2],
  );
});

test('mask location: share of mapped positive images touching each cell', () => {
  const { facts } = computeLabelFacts(ROWS, SMALL);
  // B touches cells (0,0) (1,0) (0,1); D touches (0,0); E is not mapped.
  assert.deepEqual(facts.maskLocation, {
    gridSize: 2,
    share: [1, 0.5, 0.5, 0],
    images: 2,
    commonSize: { width: 4, height: 4 },
  });
  const mixed = computeLabelFacts(ROWS, {
    gridSize: 2,
    sizeOf: (id) => (id === 'B' ? { width: 8, height: 4 } : { width: 4, height: 4 }),
  });
  assert.equal(mixed.facts.maskLocation.commonSize, null);
});

test('SIIM sample: mask areas and extents match the fixture README', async () => {
  const table = await readLabelCsv(path.join(SIIM_SAMPLE, 'train-rle-sample.csv'));
  const { facts, images } = computeLabelFacts(table.rows);
  assert.deepEqual([facts.rows, facts.images, facts.positive, facts.negative, facts.duplicateRows], [10, 10, 5, 5, 0]);
  const expected: Record<string, [number, number, number, number, number]> = {
    '12743.1517875241.599591': [2071, 536, 659, 791, 820],
    '1314.1517875167.222290': [29079, 106, 736, 116, 453],
    '4440.1517875182.865105': [2486, 82, 161, 520, 682],
    '4904.1517875185.355709': [9418, 99, 254, 171, 433],
    '4982.1517875185.837576': [5232, 149, 252, 284, 464],
  };
  for (const label of images.values()) {
    const suffix = label.imageId.replace('1.2.276.0.7230010.3.1.4.8323329.', '');
    const want = expected[suffix];
    if (!want) {
      assert.equal(label.positive, false, suffix);
      continue;
    }
    const box = label.maskBox!;
    assert.deepEqual([label.maskPixels, box.top, box.bottom, box.left, box.right], want, suffix);
  }
  assert.equal(facts.maskPixels?.median, 5232);
  assert.equal(facts.maskLocation.images, 5);
});

test('intervalGeometry agrees with a pixel-by-pixel scan of the decoded mask', () => {
  const rng = new Rng(11);
  for (let trial = 0; trial < 40; trial++) {
    const width = 8 + rng.int(40);
    const height = 8 + rng.int(40);
    const gridSize = 1 + rng.int(9);
    // Two overlapping random blobs written as two rows, so that the OR of rows is exercised.
    const rows = [0, 1].map(() => {
      const m = emptyMask(width, height);
      const r0 = rng.int(height),
        c0 = rng.int(width);
      for (let r = r0; r < Math.min(height, r0 + 1 + rng.int(height)); r++)
        for (let c = c0; c < Math.min(width, c0 + 1 + rng.int(width)); c++)
          if (rng.bool(0.8)) m.data[r * width + c] = 1;
      return encodeRle(m);
    });
    const mask = decodeRleRows(rows, width, height);
    let area = 0,
      top = height,
      left = width,
      bottom = -1,
      right = -1;
    const expectedCells = new Uint8Array(gridSize * gridSize);
    for (let r = 0; r < height; r++)
      for (let c = 0; c < width; c++) {
        if (!mask.data[r * width + c]) continue;
        area++;
        top = Math.min(top, r);
        bottom = Math.max(bottom, r);
        left = Math.min(left, c);
        right = Math.max(right, c);
        expectedCells[Math.floor((r * gridSize) / height) * gridSize + Math.floor((c * gridSize) / width)] = 1;
      }
    const cells = new Uint8Array(gridSize * gridSize);
    const got = intervalGeometry(rleIntervals(rows, width, height), { width, height }, gridSize, cells);
    assert.deepEqual(got, { area, box: area ? { top, left, bottom, right } : null }, `trial ${trial}`);
    assert.deepEqual(cells, expectedCells, `trial ${trial}`);
  }
});
