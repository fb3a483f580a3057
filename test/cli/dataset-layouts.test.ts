// The commands on real layouts, as a user runs them: eda, train, evaluate and score find the Kaggle
// tree (stage_2_train.csv without the header's space, Kaggle's absolute RLE read with --rle auto) and
// a flat folder (auto reads each row against its own 64-pixel film's size); evaluate and predict record --tta hflip, predict's hflip probability is the mean of
// the image's and its mirror's, and the service's worker pool runs the same TTA.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Predictor } from '../../src/pipeline/predictor.js';
import { readImage } from '../../src/data/image-io.js';
import { ProcessPool } from '../../src/serve/inference/process-pool.js';
import { writeLayoutDataset } from '../data/layout-datasets.js';
import { mirrorImage } from '../pipeline/synthetic-images.js';
import { registryBundle } from '../interop/registry-bundle.js';
import { runPneumo } from './run-pneumo.js';

const root = mkdtempSync(path.join(tmpdir(), 'pneumo-layouts-cli-'));
test.after(() => rmSync(root, { recursive: true, force: true }));
const SIZE = 64;
const pneumo = (args: string[]) => runPneumo(args, { ...process.env, PNEUMO_THREADS: '2' });

const kaggle = writeLayoutDataset(path.join(root, 'siim'), {
  layout: 'kaggle',
  labelsFile: 'stage_2_train.csv',
  header: 'ImageId,EncodedPixels',
  rle: 'absolute',
  testImages: 2,
});
const flat = writeLayoutDataset(path.join(root, 'flat'), {
  layout: 'flat',
  labelsFile: 'train-rle.csv',
  header: 'ImageId, EncodedPixels',
  rle: 'relative',
});
const bundleDir = await registryBundle(path.join(root, 'models'));

test('eda finds both layouts; --rle auto reads the Kaggle file as absolute', () => {
  for (const [data, reading] of [
    [kaggle.dir, 'absolute'],
    [flat.dir, 'relative'],
  ] as const) {
    const out = path.join(root, `eda-${path.basename(data)}`);
    const r = pneumo(['eda', '--data', data, '--rle', 'auto', '--out', out, '--json']);
    assert.equal(r.status, 0, r.stderr);
    const line = JSON.parse(r.stdout);
    assert.deepEqual([line.images, line.positive, line.labelProblems], [kaggle.ids.length, kaggle.positives, 0]);
    const eda = JSON.parse(readFileSync(path.join(out, 'eda.json'), 'utf8'));
    assert.equal(eda.rleReading, reading);
  }
  const bad = pneumo(['eda', '--data', kaggle.dir, '--rle', 'sideways', '--out', path.join(root, 'x')]);
  assert.equal(bad.status, 2);
  assert.match(bad.stderr, /--rle <reading>' argument 'sideways' is invalid/);
});

test('train finds both layouts and splits the same images', () => {
  const splits: number[][] = [];
  for (const data of [kaggle.dir, flat.dir]) {
    const run = path.join(root, `run-${path.basename(data)}`);
    const r = pneumo([
      'train',
      'classifier',
      '--data',
      data,
      '--rle',
      'auto',
      '--model',
      'classifier-resnet18-w16',
      '--size',
      String(SIZE),
      '--epochs',
      '1',
      '--batch',
      '8',
      '--max-batches',
      '1',
      '--workers',
      '1',
      '--threads',
      '2',
      '--out',
      run,
      '--json',
    ]);
    assert.equal(r.status, 0, r.stderr);
    const summary = JSON.parse(r.stdout);
    splits.push([summary.trainImages, summary.validationImages]);
    assert.equal(JSON.parse(readFileSync(path.join(run, 'config.json'), 'utf8')).rle, 'auto');
  }
  assert.deepEqual(splits[0], splits[1]);
  assert.equal(splits[0][0] + splits[0][1], kaggle.ids.length);
});

test('evaluate on the Kaggle tree with --rle auto --tta hflip records the TTA; score reads each file its own way', () => {
  const out = path.join(root, 'evaluation');
  const r = pneumo([
    'evaluate',
    '--bundle',
    bundleDir,
    '--data',
    kaggle.dir,
    '--rle',
    'auto',
    '--split',
    'all',
    '--tta',
    'hflip',
    '--bootstrap',
    '0',
    '--threads',
    '2',
    '--out',
    out,
  ]);
  assert.equal(r.status, 0, r.stderr);
  const evaluation = JSON.parse(readFileSync(path.join(out, 'evaluation.json'), 'utf8'));
  assert.equal(evaluation.tta, 'hflip');
  assert.deepEqual([evaluation.images, evaluation.positives], [kaggle.ids.length, kaggle.positives]);

  // The same masks in two encodings score 1 against each other.
  const args = ['score', '--truth', path.join(kaggle.dir, 'stage_2_train.csv')];
  const scored = pneumo([...args, '--pred', path.join(flat.dir, 'train-rle.csv'), '--size', String(SIZE)]);
  assert.equal(scored.status, 1, 'read as SIIM gaps, the Kaggle file has malformed rows');
  const auto = pneumo([
    ...args,
    '--pred',
    path.join(flat.dir, 'train-rle.csv'),
    '--size',
    String(SIZE),
    '--rle',
    'auto',
    '--json',
  ]);
  assert.equal(auto.status, 0, auto.stderr);
  const result = JSON.parse(auto.stdout);
  assert.equal(result.score, 1);
  assert.deepEqual(result.rleReadings, { truth: 'absolute', prediction: 'relative' });
});

test('predict --tta hflip: recorded per line, the mean of the image and its mirror; the worker pool agrees', async () => {
  const films = kaggle.ids
    .slice(0, 3)
    .map((id) => path.join(kaggle.dir, 'dicom-images-train', `${id}.study`, `${id}.series`, `${id}.dcm`));
  const rows = (out: string) =>
    readFileSync(path.join(out, 'predictions.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((line) => {
        // Timings differ run to run; everything else must not.
        const { timingsMs: _timings, ...row } = JSON.parse(line) as {
          id: string;
          tta: string;
          probabilityUncalibrated: number;
          timingsMs: unknown;
        };
        return row;
      })
      .sort((a, b) => a.id.localeCompare(b.id));
  const results = new Map<string, ReturnType<typeof rows>>();
  for (const flags of [[], ['--tta', 'none'], ['--tta', 'hflip']]) {
    const out = path.join(root, `predict${flags.join('-')}`);
    const r = pneumo(['predict', '--bundle', bundleDir, '--out', out, '--threads', '2', ...flags, ...films]);
    assert.equal(r.status, 0, r.stderr);
    results.set(flags.join(' '), rows(out));
  }
  assert.ok(results.get('')!.every((row) => row.tta === 'none'));
  assert.deepEqual(results.get('--tta none'), results.get(''));
  assert.ok(results.get('--tta hflip')!.every((row) => row.tta === 'hflip'));
  // The kind is required: a film after a bare --tta is not taken for one silently.
  const bare = pneumo(['predict', '--bundle', bundleDir, '--out', path.join(root, 'bare'), '--tta', films[0]]);
  assert.equal(bare.status, 2);
  assert.match(bare.stderr, /--tta <kind>' argument '.*\.dcm' is invalid\. Allowed choices are none, hflip/);

  const plain = await Predictor.load(bundleDir, { threads: 2 });
  const ids = results.get('--tta hflip')!;
  for (const row of ids) {
    const image = await readImage(films.find((f) => f.includes(row.id))!);
    const [p, pMirror] = plain.classify([image, mirrorImage(image)]);
    assert.ok(Math.abs(p - pMirror) > 1e-6, 'the random classifier is not mirror-symmetric');
    assert.ok(Math.abs(row.probabilityUncalibrated - (p + pMirror) / 2) < 1e-5, `${row.id}`);
  }
  plain.dispose();

  const outDir = path.join(root, 'derived');
  mkdirSync(outDir, { recursive: true });
  const pool = new ProcessPool({ bundleDir, workers: 1, threads: 2, runtime: 'libtorch', tta: 'hflip' });
  try {
    await pool.start();
    const first = ids[0];
    const output = await pool.run({ uid: first.id, dicomFile: films.find((f) => f.includes(first.id))!, outDir });
    assert.ok(Math.abs(output.probabilityUncalibrated - first.probabilityUncalibrated) < 1e-6);
  } finally {
    await pool.close();
  }
});
