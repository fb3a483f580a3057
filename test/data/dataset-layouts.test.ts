// Real layouts in the data layer: the Kaggle tree with stage_2_train.csv (header without the space,
// Kaggle's absolute RLE, unlabelled test films beside the training ones) and a flat folder with
// train-rle.csv (the real header, SIIM's relative RLE) index to the same images with the same masks.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { indexDataset, itemMask } from '../../src/data/dataset.js';
import { writeLayoutDataset } from './layout-datasets.js';

const root = mkdtempSync(path.join(tmpdir(), 'pneumo-layouts-'));
test.after(() => rmSync(root, { recursive: true, force: true }));
const SIZE = 64;

const kaggle = writeLayoutDataset(path.join(root, 'siim'), {
  layout: 'kaggle',
  labelsFile: 'stage_2_train.csv',
  header: 'ImageId,EncodedPixels',
  rle: 'absolute',
  testImages: 3,
});
const flat = writeLayoutDataset(path.join(root, 'flat'), {
  layout: 'flat',
  labelsFile: 'train-rle.csv',
  header: 'ImageId, EncodedPixels',
  rle: 'relative',
});

test('the Kaggle tree (absolute RLE, --rle auto) and a flat folder index to the same images and masks', async () => {
  const fromKaggle = await indexDataset(kaggle.dir, { rle: 'auto', width: SIZE, height: SIZE });
  const fromFlat = await indexDataset(flat.dir, { rle: 'auto', width: SIZE, height: SIZE });
  assert.equal(fromKaggle.labelsFile, path.join(kaggle.dir, 'stage_2_train.csv'));
  assert.equal(fromFlat.labelsFile, path.join(flat.dir, 'train-rle.csv'));
  assert.deepEqual([fromKaggle.rleReading, fromFlat.rleReading], ['absolute', 'relative']);
  for (const index of [fromKaggle, fromFlat]) {
    assert.deepEqual(
      index.items.map((i) => i.imageId),
      kaggle.ids,
    );
    assert.deepEqual([index.positives, index.negatives], [kaggle.positives, kaggle.ids.length - kaggle.positives]);
    assert.deepEqual(index.malformedRows, []);
    assert.deepEqual(index.labelsWithoutImages, []);
    for (const item of index.items)
      assert.deepEqual(itemMask(item, SIZE, SIZE).data, kaggle.masks.get(item.imageId), item.imageId);
  }
  // The rows are held in the SIIM form whatever the file wrote.
  assert.deepEqual(
    fromKaggle.items.map((i) => i.rleRows),
    fromFlat.items.map((i) => i.rleRows),
  );
  // Kaggle's paths: dicom-images-train/<study>/<series>/<uid>.dcm; the test films have no label row.
  assert.equal(
    fromKaggle.items[0].path,
    path.join(
      kaggle.dir,
      'dicom-images-train',
      `${kaggle.ids[0]}.study`,
      `${kaggle.ids[0]}.series`,
      `${kaggle.ids[0]}.dcm`,
    ),
  );
  assert.equal(fromFlat.items[0].path, path.join(flat.dir, `${kaggle.ids[0]}.dcm`));
  assert.deepEqual(
    fromKaggle.imagesWithoutLabels.map((f) => f.imageId),
    kaggle.testIds,
  );
  assert.deepEqual(fromFlat.imagesWithoutLabels, []);
});

test('Kaggle absolute RLE read as SIIM gaps: the positives are malformed rows that point to --rle', async () => {
  const index = await indexDataset(kaggle.dir, { width: SIZE, height: SIZE });
  assert.equal(index.rleReading, 'relative');
  assert.equal(index.positives, 0, 'no positive is read with a wrong mask');
  assert.equal(index.imagesWithMalformedLabels.length, kaggle.positives);
  for (const row of index.malformedRows)
    assert.match(row.reason, /past the end .*; it fits absolute run starts \(--rle\)$/);
});

test('a dataset folder given one level too high names the label file it found below', async () => {
  await assert.rejects(
    indexDataset(root),
    /no label file \(train-rle\.csv or stage_2_train\.csv\), plain or \.gz; found flat\/train-rle\.csv, siim\/stage_2_train\.csv: give its folder as the dataset folder/,
  );
});
