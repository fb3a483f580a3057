import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { makeBundle } from '../../src/pipeline/bundle.js';
import { predictFiles, type PredictionRecord } from '../../src/pipeline/predict-files.js';
import { writeGrayPng } from '../../src/data/image-io.js';
import { parseLabelCsv } from '../../src/data/labels.js';
import { decodeRle } from '../../src/data/rle.js';
import { tinyModelFactory, writeTinyRun } from './tiny-models.js';
import { squareImage, squareMask } from './synthetic-images.js';
import { SIIM_SAMPLE, SIIM_SAMPLE_ID_PREFIX } from '../fixture-path.js';
import { runPneumo } from '../cli/run-pneumo.js';

const root = mkdtempSync(path.join(tmpdir(), 'pneumo-predict-'));
test.after(() => rmSync(root, { recursive: true, force: true }));
const SQUARE = { x: 32, y: 16, side: 32 };
const DICOM_ID = `${SIIM_SAMPLE_ID_PREFIX}1000.1517875165.878027`;

test('predict over files, a folder and a list: outputs exist, match the images and parse; bad inputs are listed', async () => {
  const c = path.join(root, 'run-c');
  const s = path.join(root, 'run-s');
  await writeTinyRun(c, { role: 'classifier', inputSize: [16, 32], analytic: { gain: 50, bias: -8 } });
  await writeTinyRun(s, { role: 'segmenter', inputSize: [32, 64], analytic: {} });
  const bundle = path.join(root, 'bundle');
  await makeBundle({ classifierRun: c, segmenterRun: s, out: bundle, thresholds: { classifier: 0.5 } });

  const inputs = path.join(root, 'in');
  mkdirSync(path.join(inputs, 'nested'), { recursive: true });
  await writeGrayPng(squareImage(128, 64, SQUARE), path.join(inputs, 'positive.png'));
  await writeGrayPng(squareImage(128, 64, null), path.join(inputs, 'nested', 'negative.png'));
  writeFileSync(path.join(inputs, 'nested', 'broken.png'), Buffer.from('\x89PNG\r\n\x1a\nnot really'));
  writeFileSync(path.join(inputs, 'notes.txt'), 'not an image, not an image extension: skipped');
  const dicomFolder = path.join(root, 'dicom');
  mkdirSync(dicomFolder);
  copyFileSync(path.join(SIIM_SAMPLE, `${DICOM_ID}.dcm`), path.join(dicomFolder, `${DICOM_ID}.dcm`));
  const list = path.join(root, 'list.txt');
  writeFileSync(list, `# inputs\ndicom/${DICOM_ID}.dcm\nmissing.png\n`);

  const out = path.join(root, 'out');
  const progress: number[] = [];
  const summary = await predictFiles({
    inputs: [inputs, `@${list}`],
    bundle,
    out,
    batchSize: 2,
    threads: 1,
    modelFactory: tinyModelFactory,
    onProgress: (done) => progress.push(done),
  });
  assert.equal(summary.total, 4); // positive, negative, broken, the DICOM (missing.png is no file)
  assert.equal(summary.predicted, 3);
  assert.deepEqual(progress, [2, 4]);
  assert.deepEqual(summary.failures.map((f) => path.basename(f.file)).sort(), ['broken.png', 'missing.png']);
  assert.match(summary.failures.find((f) => f.file.endsWith('missing.png'))!.reason, /no such file/);
  assert.match(summary.failures.find((f) => f.file.endsWith('broken.png'))!.reason, /broken\.png/);

  const records = readFileSync(summary.predictionsFile, 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as PredictionRecord);
  assert.deepEqual(records.map((r) => r.id).sort(), [DICOM_ID, 'negative', 'positive']);
  const positive = records.find((r) => r.id === 'positive')!;
  assert.equal(positive.decision, true);
  assert.equal(positive.area.pixels, 1024);
  assert.equal(positive.area.cm2, null, 'a PNG has no pixel spacing');
  assert.equal(positive.size, null, 'and so no size in mm');
  assert.deepEqual(positive.bbox, { x: 32, y: 16, width: 32, height: 32 });
  assert.deepEqual(decodeRle(positive.rle, 128, 64).data, squareMask(128, 64, SQUARE));
  assert.equal(records.find((r) => r.id === 'negative')!.rle, '-1');
  const dicom = records.find((r) => r.id === DICOM_ID)!;
  assert.deepEqual(dicom.pixelSpacing, [0.168, 0.168]);
  assert.ok(dicom.timingsMs.read > 0);

  for (const r of records) {
    const meta = await sharp(path.join(out, r.overlay!)).metadata();
    assert.equal(meta.width, r.width, `overlay of ${r.id} has the image's width`);
    assert.ok(meta.height! > r.height, `overlay of ${r.id} has its title band above the image`);
  }
  // The mask PNG holds exactly the RLE's pixels.
  assert.equal((await sharp(path.join(out, positive.mask!)).metadata()).channels, 1);
  const { data } = await sharp(path.join(out, positive.mask!))
    .extractChannel(0)
    .raw()
    .toBuffer({ resolveWithObject: true });
  assert.deepEqual(
    Uint8Array.from(data, (v) => (v > 127 ? 1 : 0)),
    decodeRle(positive.rle, 128, 64).data,
  );
  assert.equal(records.find((r) => r.id === 'negative')!.mask, null);

  const submission = parseLabelCsv(readFileSync(summary.submissionFile, 'utf8'), 'submission.csv');
  assert.equal(submission.malformed.length, 0);
  assert.equal(submission.hasHeader, true);
  assert.deepEqual(
    new Map([...submission.images].map(([id, rows]) => [id, rows[0].encodedPixels])),
    new Map(records.map((r) => [r.id, r.rle])),
  );
});

test('the predict command fails with one line and exit code 1 for a missing bundle', () => {
  const result = runPneumo(['predict', root, '--bundle', path.join(root, 'nowhere'), '--out', path.join(root, 'o2')]);
  assert.equal(result.status, 1);
  assert.match(result.stderr, /^pneumo: bundle .*nowhere: no such folder\n$/);
});
