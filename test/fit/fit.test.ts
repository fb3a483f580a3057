import { after, test } from 'node:test';
import { spawn } from 'node:child_process';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { PNEUMO_BIN, runPneumo } from '../cli/run-pneumo.js';
import { readFitState } from '../../src/fit/fit-state.js';
import { parseLabelCsv } from '../../src/data/labels.js';
import type { FoldAssignment } from '../../src/fit/patient-folds.js';
import type { FitResult } from '../../src/report/fit-summary.js';
import { writeKaggleSet } from './fit-data.js';
import { findDicomFiles } from '../../src/data/dataset.js';
import { readImage } from '../../src/data/image-io.js';
import { Predictor } from '../../src/pipeline/predictor.js';

const root = mkdtempSync(path.join(tmpdir(), 'pneumo-fit-'));
after(() => rmSync(root, { recursive: true, force: true }));
const json = (file: string) => JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;

// Tiny: 64 px input, one epoch per stage, a few batches; the numbers carry no claim, the wiring does.
const TINY = ['--size', '64', '--seg-epochs', '1', '--cls-epochs', '1', '--precision', 'fp32', '--threads', '1'];
const TINY_SETS = [
  '--set',
  'segmenter.batch=4',
  '--set',
  'classifier.batch=4',
  '--set',
  'classifier.settings.validateEvery=1',
];

test('fit --folds 2 on a Kaggle-layout set: folds by patient, an ensemble bundle, thresholds out-of-fold, a submission and the report', async () => {
  const data = await writeKaggleSet(path.join(root, 'kaggle'), 16, 21);
  const testSet = await writeKaggleSet(path.join(root, 'unlabelled'), 4, 22, false);
  const out = path.join(root, 'fit');
  const args = [
    'fit',
    '--data',
    data.dir,
    '--out',
    out,
    '--folds',
    '2',
    '--test',
    testSet.dir,
    ...TINY,
    ...TINY_SETS,
    '--json',
  ];
  const run = runPneumo(args);
  assert.equal(run.status, 0, run.stderr);
  const result = JSON.parse(run.stdout) as FitResult;

  // The split: every image in one fold, the shared patient's two films in the same one, no image both
  // trained on and held out by a fold's runs.
  const state = readFitState(out)!;
  const split = state.stages.split.result as FoldAssignment;
  assert.equal(Object.keys(split.foldOf).length, data.images);
  const [a, b] = data.sharedPatientFilms;
  assert.equal(split.foldOf[a], split.foldOf[b], 'one patient, one fold');
  assert.deepEqual(
    result.folds.map((f) => f.validationImages).reduce((x, y) => x + y, 0),
    data.images,
  );
  assert.equal(
    result.folds.reduce((n, f) => n + f.patients, 0),
    data.images - 1,
    'the shared patient counts once',
  );
  for (const fold of [0, 1]) {
    for (const role of ['segmenter', 'classifier']) {
      const runJson = json(path.join(out, 'runs', `${role}-fold${fold}`, 'run.json')) as {
        provenance: { dataset: { trainIds: string[]; validationIds: string[] }; heldOut: { fold: number } };
      };
      const { trainIds, validationIds } = runJson.provenance.dataset;
      assert.equal(runJson.provenance.heldOut.fold, fold);
      for (const id of validationIds) assert.equal(split.foldOf[id], fold, `${role} fold ${fold} validates on ${id}`);
      for (const id of trainIds) assert.notEqual(split.foldOf[id], fold, `${role} fold ${fold} trains on ${id}`);
      // The classifier validates on the whole held-out fold; the segmenter on its positives.
      if (role === 'classifier')
        assert.equal(validationIds.length, Object.values(split.foldOf).filter((k) => k === fold).length);
    }
  }

  // The ensemble bundle: each role's fold files in fold order, weights the first, all present.
  const bundle = json(path.join(out, 'bundle', 'bundle.json')) as {
    classifier: { weights: string; folds: string[] };
    segmenter: { weights: string; folds: string[] };
    thresholdSource: { split: string; images: number };
  };
  for (const role of ['classifier', 'segmenter'] as const) {
    assert.deepEqual(bundle[role].folds, [`${role}-fold0.safetensors`, `${role}-fold1.safetensors`]);
    assert.equal(bundle[role].weights, bundle[role].folds[0]);
    for (const file of bundle[role].folds) assert.ok(existsSync(path.join(out, 'bundle', file)));
    // Fold k's file is fold k's run's weights, byte for byte.
    for (const k of [0, 1])
      assert.ok(
        readFileSync(path.join(out, 'bundle', bundle[role].folds[k])).equals(
          readFileSync(path.join(out, 'runs', `${role}-fold${k}`, 'best.safetensors')),
        ),
      );
  }
  // Thresholds chosen on the out-of-fold predictions of every image.
  assert.match(bundle.thresholdSource.split, /out-of-fold/);
  assert.equal(bundle.thresholdSource.images, data.images);
  const oof = json(path.join(out, 'evaluation', 'out-of-fold', 'evaluation.json')) as {
    images: number;
    split: { split: string };
  };
  assert.equal(oof.images, data.images);
  assert.equal(oof.split.split, 'out-of-fold');
  assert.equal(result.operatingPoint.on, 'out-of-fold');
  assert.ok(existsSync(path.join(out, 'evaluation', 'out-of-fold', 'hard-examples.csv')));

  // The ensemble predicts the mean of its fold models' probabilities (the Predictor reads `folds`).
  const films = await findDicomFiles(testSet.dir);
  const images = await Promise.all(films.slice(0, 2).map((f) => readImage(f)));
  const classify = async (bundleDir: string) => {
    const predictor = await Predictor.load(bundleDir, { threads: 1 });
    try {
      return [...predictor.classify(images)];
    } finally {
      predictor.dispose();
    }
  };
  const [ensemble, fold0, fold1] = [
    await classify(path.join(out, 'bundle')),
    await classify(path.join(out, 'fold-bundles', 'fold0')),
    await classify(path.join(out, 'fold-bundles', 'fold1')),
  ];
  ensemble.forEach((p, i) =>
    assert.ok(Math.abs(p - (fold0[i] + fold1[i]) / 2) < 1e-5, `${p} vs ${fold0[i]}, ${fold1[i]}`),
  );

  // The unlabelled test folder: a Kaggle submission with one row per film.
  const submission = parseLabelCsv(readFileSync(result.test!.submission, 'utf8'), 'submission.csv');
  assert.equal(submission.malformed.length, 0);
  assert.equal(submission.images.size, testSet.images);
  assert.equal(result.test!.evaluation, null);

  // The report: the plan, the folds, every run, and links that resolve.
  const html = readFileSync(path.join(out, 'index.html'), 'utf8');
  for (const text of [
    'Operating point (out-of-fold predictions)',
    'Folds',
    'Plan',
    'Recipe',
    'segmenter fold 1',
    'classifier fold 0',
    'submission.csv',
  ])
    assert.ok(html.includes(text), text);
  const refs = [...html.matchAll(/(?:href|src)="([^"#]+)"/g)].map((m) => m[1]).filter((r) => !/^[a-z]+:/.test(r));
  assert.ok(refs.length > 10);
  for (const ref of refs) assert.ok(existsSync(path.join(out, decodeURIComponent(ref))), `index.html links ${ref}`);
  const log = readFileSync(path.join(out, 'fit.log'), 'utf8');
  for (const stage of [
    'eda',
    'split',
    'train segmenter fold 0',
    'train classifier fold 1',
    'bundle',
    'evaluate validation',
    'test',
  ])
    assert.match(log, new RegExp(`${stage}: done in`));

  // Run again: every stage is done, nothing trains, the same thresholds.
  const again = runPneumo(args);
  assert.equal(again.status, 0, again.stderr);
  assert.match(again.stderr, /training the classifier of fold 1 .*\(done earlier/);
  assert.doesNotMatch(again.stderr, /epoch 1\/1/);
  assert.deepEqual((JSON.parse(again.stdout) as FitResult).thresholds, result.thresholds);

  // Another plan in the same folder is refused, naming the setting.
  const other = runPneumo(['fit', '--data', data.dir, '--out', out, '--folds', '3', ...TINY, ...TINY_SETS]);
  assert.equal(other.status, 1);
  assert.match(other.stderr, /another plan \(folds: 2 there, 3 now\)/);
});

/** Starts `pneumo ARGS` and SIGKILLs it once stderr matches `when`; resolves with the stderr read. */
function killWhen(args: readonly string[], when: RegExp): Promise<{ stderr: string; killed: boolean }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [PNEUMO_BIN, ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    let killed = false;
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (chunk: string) => {
      stderr += chunk;
      if (!killed && when.test(stderr)) {
        killed = child.kill('SIGKILL');
      }
    });
    child.on('error', reject);
    child.on('close', () => resolve({ stderr, killed }));
  });
}

test('fit killed with SIGKILL in the middle of training continues from the last finished epoch', async () => {
  const data = await writeKaggleSet(path.join(root, 'resume-data'), 16, 31);
  const out = path.join(root, 'resume');
  const args = ['fit', '--data', data.dir, '--out', out, ...TINY, ...TINY_SETS, '--seg-epochs', '6'];
  const first = await killWhen(args, /segmenter: epoch 2\/6/);
  assert.ok(first.killed, `the fit ended before it could be killed:\n${first.stderr}`);
  const state = readFitState(out)!;
  assert.ok(state.stages.eda, 'the analysis finished before the kill');
  assert.equal(state.stages['train segmenter'], undefined, 'the interrupted stage is not marked done');
  const saved = json(path.join(out, 'runs', 'segmenter', 'checkpoints', 'last.json')) as { epoch: number };
  assert.ok(saved.epoch >= 2 && saved.epoch < 6, `checkpoint after epoch ${saved.epoch}`);

  const second = runPneumo(args);
  assert.equal(second.status, 0, second.stderr);
  assert.match(second.stderr, /exploratory analysis of the training set \(done earlier/);
  assert.match(second.stderr, new RegExp(`resuming .*segmenter after epoch ${saved.epoch} of 6`));
  // Each epoch once in the run's metrics: the resumed run took up where the killed one stopped.
  const rows = readFileSync(path.join(out, 'runs', 'segmenter', 'metrics.csv'), 'utf8')
    .trim()
    .split('\n')
    .slice(1);
  assert.deepEqual(
    rows.map((r) => Number(r.split(',')[0])),
    [1, 2, 3, 4, 5, 6],
  );
  const done = readFitState(out)!;
  for (const stage of ['eda', 'train segmenter', 'train classifier', 'bundle', 'evaluate validation'])
    assert.ok(done.stages[stage], stage);
  assert.ok(existsSync(path.join(out, 'index.html')));
});
