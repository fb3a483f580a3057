import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseLabelCsv } from '../../src/data/labels.js';
import { decodeRleRows, encodeRle } from '../../src/data/rle.js';
import { emptyMask } from '../../src/data/image.js';
import { Rng } from '../../src/data/random.js';
import { maskOverlap } from '../../src/metrics/segmentation.js';
import { rleOverlap, scoreLabelFiles, siimScore } from '../../src/metrics/siim-score.js';
import { SIIM_SAMPLE_CRLF_BOM_CSV, SIIM_SAMPLE_CSV } from '../fixture-path.js';

function allNegative(file: string): string {
  return parseLabelCsv(readFileSync(file, 'utf8'))
    .rows.map((r) => `${r.imageId},-1`)
    .join('\n');
}

test('the SIIM sample truth against itself scores 1, against all -1 the share of negatives', async () => {
  const self = await scoreLabelFiles(SIIM_SAMPLE_CSV, SIIM_SAMPLE_CRLF_BOM_CSV);
  assert.equal(self.score, 1);
  assert.equal(self.summary.images, 10);
  assert.deepEqual(self.onlyInTruth, []);
  assert.deepEqual(self.onlyInPrediction, []);
  const dir = mkdtempSync(path.join(tmpdir(), 'pneumo-score-'));
  try {
    const negatives = path.join(dir, 'negatives.csv');
    writeFileSync(negatives, allNegative(SIIM_SAMPLE_CSV));
    const result = await scoreLabelFiles(SIIM_SAMPLE_CSV, negatives);
    assert.equal(result.score, 5 / 10);
    assert.equal(result.summary.meanDicePositive, 0);
    assert.equal(result.summary.meanDiceNegative, 1);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

// Truth and prediction on a 1024x1024 image, pixels in column-major numbers:
//   a: truth 0-9 (10 px); prediction rows "5 10" (5-14) and "3 1" (3), OR-ed: {3, 5-14}, 11 px;
//      shared {3, 5-9} = 6 px, Dice 2*6/(10+11) = 12/21.
//   b: both empty: 1.   c: truth 100-103, prediction empty: 0.
//   d: truth 50-59 in two overlapping rows (50-57, 52-59), prediction 50-59: 1.
const TRUTH = ['ImageId,EncodedPixels', 'a,0 10', 'b,-1', 'c,100 4', 'd,50 8', 'd,52 8', 'm.pos,7 3', 'm.neg,-1'].join(
  '\n',
);
const PREDICTION = ['ImageId,EncodedPixels', 'c,-1', 'a,5 10', 'b,-1', 'a,3 1', 'd,50 10', 'extra,-1'].join('\n');

test('a handmade partial overlap has the Dice computed by hand; missing images are reported', () => {
  const truth = parseLabelCsv(TRUTH, 'truth.csv');
  const prediction = parseLabelCsv(PREDICTION, 'pred.csv');
  const result = siimScore(truth, prediction);
  assert.deepEqual(
    result.perImage.map((s) => [s.imageId, s.dice]),
    [
      ['a', 12 / 21],
      ['b', 1],
      ['c', 0],
      ['d', 1],
    ],
  );
  assert.ok(Math.abs(result.score! - (12 / 21 + 2) / 4) < 1e-12);
  assert.equal(result.score!.toFixed(6), '0.642857');
  assert.deepEqual(result.onlyInTruth, ['m.pos', 'm.neg']);
  assert.deepEqual(result.onlyInPrediction, ['extra']);
  assert.equal(result.countedAsEmpty, 0);
  assert.equal(result.truthImages, 6);
  assert.equal(result.predictionImages, 5);

  // --all-truth: the missing positive scores 0, the missing negative 1.
  const all = siimScore(truth, prediction, { allTruth: true });
  assert.equal(all.countedAsEmpty, 2);
  assert.equal(all.summary.images, 6);
  assert.ok(Math.abs(all.score! - (12 / 21 + 2 + 0 + 1) / 6) < 1e-12);
  assert.deepEqual(all.onlyInTruth, ['m.pos', 'm.neg']);
});

test('images with a malformed row on either side are left out and listed', () => {
  const truth = parseLabelCsv(TRUTH + '\nb,1 2 3', 'truth.csv');
  const prediction = parseLabelCsv(PREDICTION + '\nc,9999999 5\nm.neg,x', 'pred.csv');
  const result = siimScore(truth, prediction, { allTruth: true });
  assert.deepEqual(result.excludedMalformed, ['b', 'c', 'm.neg']);
  assert.deepEqual(
    result.perImage.map((s) => s.imageId),
    ['a', 'd', 'm.pos'],
  );
  assert.deepEqual(result.onlyInTruth, ['m.pos']);
  assert.equal(result.malformedTruth.length, 1);
  assert.match(result.malformedTruth[0].message, /^truth\.csv line 9 \(image b\): odd count/);
  assert.deepEqual(
    result.malformedPrediction.map((e) => e.line),
    [8, 9],
  );
});

test('the interval overlap equals the overlap of the decoded masks on random multi-row masks', () => {
  const rng = new Rng(5);
  const [width, height] = [23, 17];
  const randomRows = () =>
    Array.from({ length: 1 + rng.int(3) }, () => {
      const m = emptyMask(width, height);
      const density = rng.pick([0, 0.05, 0.4, 0.95]);
      for (let i = 0; i < m.data.length; i++) m.data[i] = rng.bool(density) ? 1 : 0;
      return encodeRle(m);
    });
  for (let trial = 0; trial < 300; trial++) {
    const truthRows = randomRows();
    const predictedRows = randomRows();
    const reference = maskOverlap(decodeRleRows(truthRows, width, height), decodeRleRows(predictedRows, width, height));
    assert.deepEqual(rleOverlap(truthRows, predictedRows, width, height), reference, `trial ${trial}`);
  }
});

test('a shifted, partly wrong prediction of the sample scores what an independent NumPy scorer gives', () => {
  // Built as test/metrics/siim-score-reference.py builds it (and scores it in NumPy): each positive
  // shifted by 37*(line) pixels plus a second row holding its first 20 runs; odd-line negatives get a
  // false 500-pixel run. NumPy gave 0.385241.
  const lines = readFileSync(SIIM_SAMPLE_CSV, 'utf8')
    .replace(/^\uFEFF/, '')
    .split('\n');
  const out = ['ImageId,EncodedPixels'];
  lines.forEach((line, i) => {
    const [id, encoded] = line.split(',');
    const numbers = encoded.trim().split(' ');
    if (numbers[0] !== '-1') {
      out.push(`${id},${[String(Number(numbers[0]) + 37 * (i + 1)), ...numbers.slice(1)].join(' ')}`);
      out.push(`${id},${numbers.slice(0, 40).join(' ')}`);
    } else out.push(`${id},${i % 2 ? '1000 500' : '-1'}`);
  });
  const result = siimScore(parseLabelCsv(readFileSync(SIIM_SAMPLE_CSV, 'utf8')), parseLabelCsv(out.join('\n')));
  assert.equal(result.summary.images, 10);
  assert.equal(result.score!.toFixed(6), '0.385241');
});
