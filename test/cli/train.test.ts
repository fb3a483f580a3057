// `pneumo train` end to end on a tiny DICOM dataset written in the test: a config file with a flag
// overriding it, every artefact of the run folder, --resume, errors as one line with exit code 1, and
// a run killed with SIGKILL at an arbitrary moment leaving a checkpoint that loads and resumes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { loadSafetensors } from '../../src/torch/safetensors.js';
import { readLastCheckpoint, checkpointsFolder } from '../../src/train/checkpoint.js';
import { writeTinyDicomDataset } from './tiny-dicom-dataset.js';
import { readRunManifest } from '../../src/train/run-manifest.js';
import { modelInput } from '../../src/data/model-input.js';
import { PNEUMO_BIN, runPneumo } from './run-pneumo.js';

const folder = mkdtempSync(path.join(tmpdir(), 'pneumo-train-cli-'));
test.after(() => rmSync(folder, { recursive: true, force: true }));
const SIZE = 64;
const data = path.join(folder, 'data');

writeTinyDicomDataset(data, SIZE);

const pneumo = (args: string[]) => runPneumo(args, { ...process.env, PNEUMO_THREADS: '2' });

const common = ['--data', data, '--threads', '2', '--workers', '1'];

test('a config file with a flag over it, and every artefact of the run folder', () => {
  const config = path.join(folder, 'cls.yaml');
  writeFileSync(
    config,
    `model: classifier-resnet18-w16\nsize: ${SIZE}\nepochs: 5\nbatchSize: 8\nlr: 0.004\naugment: null\nvalFraction: 0.25\n`,
  );
  const run = path.join(folder, 'run-cls');
  const r = pneumo(['train', 'classifier', ...common, '--out', run, '--config', config, '--epochs', '2', '--json']);
  assert.equal(r.status, 0, r.stderr);
  const summary = JSON.parse(r.stdout);
  assert.equal(summary.epochs, 2, 'the flag overrides the file');
  assert.equal(summary.trainImages, 18);
  assert.equal(summary.validationImages, 6);
  const saved = JSON.parse(readFileSync(path.join(run, 'config.json'), 'utf8'));
  assert.equal(saved.epochs, 2);
  assert.equal(saved.lr, 0.004, 'from the file');
  assert.equal(saved.batchSize, 8);
  // Both parts of the split by image id, disjoint: the bundle takes them, evaluation checks against them.
  const runJson = readRunManifest(run);
  assert.deepEqual(runJson.input, modelInput({ width: SIZE, height: SIZE }), "run.json records the loader's contract");
  const dataset = runJson.provenance.dataset as { trainIds: string[]; validationIds: string[] };
  assert.deepEqual([dataset.trainIds.length, dataset.validationIds.length], [18, 6]);
  assert.equal(new Set([...dataset.trainIds, ...dataset.validationIds]).size, 24);
  for (const f of [
    'best.safetensors',
    'best.json',
    'run.json',
    'metrics.csv',
    'checkpoints/last.json',
    'plots/loss.png',
    'plots/metrics.png',
  ])
    assert.ok(existsSync(path.join(run, f)), f);
  assert.equal(readdirSync(path.join(run, 'tb')).filter((f) => f.startsWith('events.out.tfevents.')).length, 1);
  assert.equal(readFileSync(path.join(run, 'metrics.csv'), 'utf8').trim().split('\n').length, 3);
  assert.match(r.stderr, /epoch 2\/2 {2}train loss/);

  const resumed = pneumo(['train', 'classifier', '--out', run, '--resume', '--epochs', '3', '--json']);
  assert.equal(resumed.status, 0, resumed.stderr);
  assert.match(resumed.stderr, /resuming .* after epoch 2 of 3/);
  assert.equal(JSON.parse(resumed.stdout).epochs, 3);
  assert.equal(readFileSync(path.join(run, 'metrics.csv'), 'utf8').trim().split('\n').length, 4);
});

test('bad settings are one-line errors with exit code 1, misuse of the command line exits 2', () => {
  const config = path.join(folder, 'bad.yaml');
  writeFileSync(config, 'epoch: 3\n');
  const r = pneumo(['train', 'classifier', ...common, '--out', path.join(folder, 'x'), '--config', config]);
  assert.equal(r.status, 1);
  assert.match(r.stderr, /^pneumo: .*bad\.yaml: unknown setting epoch/);
  assert.equal(r.stderr.trim().split('\n').length, 1);
  const resume = pneumo(['train', 'segmenter', '--out', path.join(folder, 'nothing-here'), '--resume']);
  assert.equal(resume.status, 2);
  assert.match(resume.stderr, /nothing to resume/);
  const task = pneumo(['train', 'detector', ...common, '--out', path.join(folder, 'y')]);
  assert.equal(task.status, 2);
  assert.match(task.stderr, /unknown task `detector`/);
});

test('SIGKILL at an arbitrary moment leaves a checkpoint that loads and resumes', async () => {
  const run = path.join(folder, 'run-killed');
  const args = [
    'train',
    'segmenter',
    ...common,
    '--out',
    run,
    '--model',
    'unet-resnet18-w16',
    '--size',
    String(SIZE),
    '--epochs',
    '3',
    '--batch',
    '6',
    '--no-augment',
  ];
  const child = spawn(process.execPath, [PNEUMO_BIN, ...args], {
    env: { ...process.env, PNEUMO_THREADS: '2' },
    stdio: 'ignore',
  });
  const last = path.join(checkpointsFolder(run), 'last.json');
  // Wait for the first checkpoint, then kill somewhere inside the following epochs' work.
  const deadline = Date.now() + 120000;
  while (!existsSync(last) && Date.now() < deadline && child.exitCode === null)
    await new Promise((r) => setTimeout(r, 50));
  const exited = new Promise((r) => child.once('exit', r));
  await new Promise((r) => setTimeout(r, 200 + Math.floor(Math.random() * 1500)));
  // On a fast machine the run can finish before the kill lands; the checkpoint must be sound either way.
  child.kill('SIGKILL');
  await exited;
  const state = readLastCheckpoint(run);
  assert.ok(state && state.epoch >= 1, 'a committed checkpoint');
  const weights = loadSafetensors(path.join(checkpointsFolder(run), state.weightsFile));
  assert.ok(weights.size > 0);
  for (const t of weights.values()) t.dispose();
  if (state.epoch < 3) {
    const resumed = pneumo(['train', 'segmenter', '--out', run, '--resume', '--json']);
    assert.equal(resumed.status, 0, resumed.stderr);
    assert.equal(JSON.parse(resumed.stdout).epochs, 3);
  }
});

test('an unreadable image is reported once, and counted once in the exit status', () => {
  const broken = path.join(folder, 'data-broken');
  cpSync(data, broken, { recursive: true });
  const series = path.join(broken, 'nested', 'series');
  const victim = readdirSync(series).sort()[0];
  writeFileSync(path.join(series, victim), 'not a DICOM file at all');
  const run = path.join(folder, 'run-broken');
  const r = pneumo([
    'train',
    'classifier',
    '--data',
    broken,
    '--threads',
    '2',
    '--workers',
    '1',
    '--out',
    run,
    '--model',
    'classifier-resnet18-w16',
    '--size',
    String(SIZE),
    '--epochs',
    '2',
    '--batch',
    '8',
    '--no-augment',
    '--json',
  ]);
  assert.equal(r.status, 1, r.stderr);
  assert.equal(JSON.parse(r.stdout).skippedImages, 1);
  const id = victim.replace(/\.dcm$/, '');
  const skipped = r.stderr.split('\n').filter((line) => line.startsWith(`skipped ${id} `));
  assert.equal(skipped.length, 1, `named once, though it fails in every epoch: ${r.stderr}`);
  assert.match(r.stderr, /pneumo: 1 images could not be read and were skipped/);
});
