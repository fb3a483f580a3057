import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { DatasetError, findDicomFiles, findLabelFile, indexDataset, itemMask } from '../../src/data/dataset.js';
import { maskArea } from '../../src/data/image.js';
import { SIIM_SAMPLE, SIIM_SAMPLE_CSV, SIIM_SAMPLE_ID_PREFIX } from '../fixture-path.js';

test('the SIIM sample folder indexes to 10 items, 5 positive, nothing unmatched', async () => {
  const index = await indexDataset(SIIM_SAMPLE, { labels: SIIM_SAMPLE_CSV });
  assert.equal(index.root, SIIM_SAMPLE);
  assert.equal(index.labelsFile, SIIM_SAMPLE_CSV);
  assert.equal(index.items.length, 10);
  assert.equal(index.positives, 5);
  assert.equal(index.negatives, 5);
  for (const key of [
    'imagesWithoutLabels',
    'labelsWithoutImages',
    'duplicateImageFiles',
    'duplicateRows',
    'malformedRows',
    'imagesWithMalformedLabels',
  ] as const) {
    assert.deepEqual(index[key], [], key);
  }
  for (const item of index.items) {
    assert.equal(item.path, path.join(SIIM_SAMPLE, item.imageId + '.dcm'));
    assert.equal(item.rleRows.length, 1);
  }
  // Mask areas from the fixture README, decoded on demand.
  const byId = new Map(index.items.map((i) => [i.imageId.slice(SIIM_SAMPLE_ID_PREFIX.length), i]));
  assert.equal(maskArea(itemMask(byId.get('1314.1517875167.222290')!)), 29079);
  assert.equal(byId.get('1314.1517875167.222290')!.label, 1);
  assert.equal(maskArea(itemMask(byId.get('1000.1517875165.878027')!)), 0);
  assert.equal(byId.get('1000.1517875165.878027')!.label, 0);
  // The sample's CSVs have no standard name: the error says which CSVs are there.
  await assert.rejects(findLabelFile(SIIM_SAMPLE), (err: unknown) => {
    assert.ok(err instanceof DatasetError);
    assert.match(err.message, /no label file \(train-rle\.csv or stage_2_train\.csv\)/);
    assert.match(err.message, /train-rle-sample\.csv/);
    assert.match(err.message, /--labels/);
    return true;
  });
});

function touch(file: string, text = ''): void {
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, text);
}

test('a Kaggle-style nested folder: joins, mismatches, duplicates and malformed rows are all reported', async () => {
  const root = mkdtempSync(path.join(tmpdir(), 'pneumo-dataset-'));
  try {
    const images = path.join(root, 'dicom-images-train');
    touch(path.join(images, 'study.a', 'series.a', 'neg.1.dcm'));
    touch(path.join(images, 'study.b', 'series.b', 'pos.2.dcm'));
    touch(path.join(images, 'study.c', 'series.c', 'multi.3.DCM'));
    touch(path.join(images, 'study.d', 'series.d', 'unlabelled.4.dcm'));
    touch(path.join(images, 'study.e', 'series.e', 'bad.5.dcm'));
    touch(path.join(images, 'study.f', 'twice.6.dcm'));
    touch(path.join(root, 'copies', 'twice.6.dcm'));
    touch(path.join(images, 'study.a', 'series.a', 'notes.txt'));
    symlinkSync(images, path.join(images, 'study.a', 'loop')); // a cycle must not hang the walk
    touch(
      path.join(root, 'train-rle.csv'),
      [
        'ImageId, EncodedPixels',
        'neg.1, -1',
        'pos.2, 0 3',
        'multi.3, 0 2',
        'multi.3, 1 2', // overlaps the row above: OR-ed
        'multi.3, 0 2', // a duplicate of line 4
        'nofile.7, -1',
        'bad.5, 1 2 3',
        'twice.6, -1',
      ].join('\n'),
    );
    const files = await findDicomFiles(root);
    assert.equal(files.length, 7);
    assert.ok(files.every((f) => /\.dcm$/i.test(f)));

    const index = await indexDataset(root, { width: 2, height: 2 });
    assert.equal(index.labelsFile, path.join(root, 'train-rle.csv'));
    assert.deepEqual(
      index.items.map((i) => [i.imageId, i.label, i.rleRows]),
      [
        ['neg.1', 0, ['-1']],
        ['pos.2', 1, ['0 3']],
        ['multi.3', 1, ['0 2', '1 2', '0 2']],
        ['twice.6', 0, ['-1']],
      ],
    );
    assert.equal(index.items[2].path, path.join(images, 'study.c', 'series.c', 'multi.3.DCM'));
    assert.equal(index.positives, 2);
    assert.equal(index.negatives, 2);
    assert.equal(maskArea(itemMask(index.items[2], 2, 2)), 3);
    assert.deepEqual(index.imagesWithoutLabels, [
      { imageId: 'unlabelled.4', path: path.join(images, 'study.d', 'series.d', 'unlabelled.4.dcm') },
    ]);
    assert.deepEqual(index.labelsWithoutImages, ['nofile.7']);
    assert.deepEqual(
      index.duplicateRows.map((d) => [d.imageId, d.lines]),
      [['multi.3', [4, 6]]],
    );
    assert.equal(index.duplicateRowCount, 1);
    assert.deepEqual(
      index.malformedRows.map((e) => [e.line, e.imageId]),
      [[8, 'bad.5']],
    );
    assert.deepEqual(index.imagesWithMalformedLabels, ['bad.5']);
    assert.deepEqual(index.duplicateImageFiles, [
      {
        imageId: 'twice.6',
        paths: [path.join(root, 'copies', 'twice.6.dcm'), path.join(images, 'study.f', 'twice.6.dcm')],
      },
    ]);
    // The first path in walk order (copies/ sorts before dicom-images-train/) is the one used.
    assert.equal(index.items[3].path, path.join(root, 'copies', 'twice.6.dcm'));
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('label file look-up: stage_2_train.csv, ambiguity, absence, and a folder that is not there', async () => {
  const root = mkdtempSync(path.join(tmpdir(), 'pneumo-dataset-'));
  try {
    touch(path.join(root, 'stage_2_train.csv'), 'ImageId,EncodedPixels\nx,-1\n');
    touch(path.join(root, 'x.dcm'));
    const index = await indexDataset(root);
    assert.equal(index.labelsFile, path.join(root, 'stage_2_train.csv'));
    assert.deepEqual(
      index.items.map((i) => i.imageId),
      ['x'],
    );
    touch(path.join(root, 'train-rle.csv'), 'x,-1\n');
    await assert.rejects(
      indexDataset(root),
      /both train-rle\.csv and stage_2_train\.csv are present; choose one with --labels/,
    );
    const other = path.join(root, 'labels', 'mine.csv');
    touch(other, 'x,0 1\n');
    const chosen = await indexDataset(root, { labels: other });
    assert.equal(chosen.items[0].label, 1);
    await assert.rejects(indexDataset(path.join(root, 'labels')), /no label file .*CSV files here: mine\.csv/);
    await assert.rejects(indexDataset(path.join(root, 'nowhere')), /nowhere: no such dataset folder/);
    await assert.rejects(indexDataset(path.join(root, 'x.dcm')), /not a folder/);
    await assert.rejects(
      indexDataset(root, { labels: path.join(root, 'none.csv') }),
      /none\.csv: cannot read the label file/,
    );
    // The SIIM labels as public copies ship them: gzipped, found by name, read transparently.
    const zipped = path.join(root, 'zipped');
    mkdirSync(zipped);
    writeFileSync(path.join(zipped, 'train-rle.csv.gz'), gzipSync('ImageId,EncodedPixels\nx,0 1\n'));
    touch(path.join(zipped, 'x.dcm'));
    const fromGzip = await indexDataset(zipped);
    assert.equal(fromGzip.labelsFile, path.join(zipped, 'train-rle.csv.gz'));
    assert.deepEqual([fromGzip.items.length, fromGzip.items[0].label], [1, 1]);
    touch(path.join(zipped, 'empty.csv'), 'ImageId,EncodedPixels\n');
    await assert.rejects(indexDataset(zipped, { labels: path.join(zipped, 'empty.csv') }), /empty\.csv: no label rows/);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});
