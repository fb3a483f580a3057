// The exit-code contract of every command (README, "Exit codes"): 0 done, 1 work failed, 2 usage
// error, with one line on stderr; and the engine's environment variables hold for every command that
// computes, unless --threads says otherwise.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { makeBundle } from '../../src/pipeline/bundle.js';
import { writeRegistryRun } from '../pipeline/tiny-models.js';
import { SIIM_SAMPLE, SIIM_SAMPLE_CSV } from '../fixture-path.js';
import { runPneumo } from './run-pneumo.js';

const root = mkdtempSync(path.join(tmpdir(), 'pneumo-exit-codes-'));
test.after(() => rmSync(root, { recursive: true, force: true }));

const withEnv = (env: Record<string, string>) => ({ ...process.env, ...env });
const pneumo = (args: string[], env: Record<string, string> = { PNEUMO_THREADS: '2' }) => runPneumo(args, withEnv(env));

function expectFailure(args: string[], status: 1 | 2, pattern: RegExp, env?: Record<string, string>): void {
  const run = pneumo(args, env);
  assert.equal(run.status, status, `${args.join(' ')}: ${run.stderr}`);
  assert.equal(run.stderr.trim().split('\n').length, 1, `one line: ${run.stderr}`);
  assert.match(run.stderr, /^pneumo: (?!pneumo: )/, 'prefixed once');
  assert.match(run.stderr, pattern);
}

let bundleDir = '';
test.before(async () => {
  const c = path.join(root, 'run-c');
  const s = path.join(root, 'run-s');
  await writeRegistryRun(c, { architecture: 'classifier-resnet18-w16', inputSize: 64 });
  await writeRegistryRun(s, { architecture: 'unet-resnet18-w16', inputSize: 64 });
  bundleDir = path.join(root, 'bundle');
  await makeBundle({ classifierRun: c, segmenterRun: s, out: bundleDir });
});

test('synth: a fractional seed or a rate above 1 is a usage error; a small set is written', () => {
  const out = path.join(root, 'synth');
  expectFailure(['synth', '--out', out, '--seed', '1.5'], 2, /--seed <int>.*1\.5/);
  expectFailure(['synth', '--out', out, '--positive-rate', '2'], 2, /--positive-rate/);
  expectFailure(['synth', '--out', out, '--min-area', '0.05', '--max-area', '0.01'], 2, /area/i);
  const ok = pneumo(['synth', '--out', out, '--n', '3', '--size', '64', '--workers', '0', '--json']);
  assert.equal(ok.status, 0, ok.stderr);
  assert.equal(JSON.parse(ok.stdout).composition.images, 3);
  writeFileSync(path.join(root, 'a-file'), 'x');
  expectFailure(['synth', '--out', path.join(root, 'a-file', 'below'), '--n', '2', '--size', '64'], 1, /a-file/);
});

test('bundle: a missing option is a usage error, a missing run a failure', () => {
  expectFailure(['bundle', '--classifier', 'x', '--out', path.join(root, 'b')], 2, /--segmenter/);
  expectFailure(
    [
      'bundle',
      '--classifier',
      path.join(root, 'none-c'),
      '--segmenter',
      path.join(root, 'none-s'),
      '--out',
      path.join(root, 'b'),
    ],
    1,
    /none-c/,
  );
  const ok = pneumo([
    'bundle',
    '--classifier',
    path.join(root, 'run-c'),
    '--segmenter',
    path.join(root, 'run-s'),
    '--out',
    path.join(root, 'b-ok'),
  ]);
  assert.equal(ok.status, 0, ok.stderr);
});

test('predict: usage errors exit 2, an unreadable input 1; PNEUMO_THREADS holds unless --threads overrides it', () => {
  const out = path.join(root, 'pred');
  expectFailure(['predict', SIIM_SAMPLE, '--bundle', bundleDir, '--out', out, '--threads', '0'], 2, /--threads/);
  expectFailure(['predict', '--bundle', bundleDir, '--out', out], 2, /input/);
  const inputs = path.join(root, 'inputs');
  mkdirSync(inputs);
  const first = readdirSync(SIIM_SAMPLE).filter((f) => f.endsWith('.dcm'))[0];
  copyFileSync(path.join(SIIM_SAMPLE, first), path.join(inputs, first));
  const env = { PNEUMO_THREADS: '1' };
  const ok = pneumo(['predict', inputs, '--bundle', bundleDir, '--out', out, '--json'], env);
  assert.equal(ok.status, 0, ok.stderr);
  assert.equal(JSON.parse(ok.stdout).threads, 1, 'PNEUMO_THREADS=1 holds through predict');
  const flag = pneumo(['predict', inputs, '--bundle', bundleDir, '--out', out, '--json', '--threads', '2'], env);
  assert.equal(JSON.parse(flag.stdout).threads, 2, '--threads overrides the variable');
  writeFileSync(path.join(inputs, 'broken.dcm'), 'DICM but not really');
  const bad = pneumo(['predict', inputs, '--bundle', bundleDir, '--out', out, '--json'], env);
  assert.equal(bad.status, 1);
  assert.equal(JSON.parse(bad.stdout).failures.length, 1);
});

test('evaluate: usage errors exit 2, a missing bundle 1; PNEUMO_THREADS holds', () => {
  const out = path.join(root, 'eval');
  expectFailure(['evaluate', '--bundle', bundleDir, '--data', SIIM_SAMPLE], 2, /--out/);
  expectFailure(['evaluate', '--bundle', bundleDir, '--data', SIIM_SAMPLE, '--out', out, '--batch', 'x'], 2, /--batch/);
  expectFailure(
    ['evaluate', '--bundle', path.join(root, 'nowhere'), '--data', SIIM_SAMPLE, '--out', out],
    1,
    /nowhere/,
  );
  const ok = pneumo(
    [
      'evaluate',
      '--bundle',
      bundleDir,
      '--data',
      SIIM_SAMPLE,
      '--labels',
      SIIM_SAMPLE_CSV,
      '--split',
      'all',
      '--out',
      out,
    ],
    { PNEUMO_THREADS: '1' },
  );
  assert.equal(ok.status, 0, ok.stderr);
  assert.match(ok.stdout, /at the bundle's thresholds/);
  assert.equal(JSON.parse(readFileSync(path.join(out, 'evaluation.json'), 'utf8')).threads, 1);
  readFileSync(path.join(out, 'index.html'), 'utf8');
});

test('demo: usage errors exit 2, a foreign folder 1', () => {
  expectFailure(['demo', '--seed', '1.5'], 2, /--seed/);
  expectFailure(['demo', '--size', 'huge'], 2, /--size/);
  const foreign = path.join(root, 'foreign');
  mkdirSync(foreign);
  writeFileSync(path.join(foreign, 'thesis.docx'), 'precious');
  expectFailure(['demo', '--size', 'tiny', '--out', foreign], 1, /did not make/);
  assert.equal(readFileSync(path.join(foreign, 'thesis.docx'), 'utf8'), 'precious');
});

test('engine environment variables are checked: a bad value is one line naming the variable', () => {
  expectFailure(['info'], 1, /PNEUMO_CPU_CACHE_MB="abc"/, { PNEUMO_CPU_CACHE_MB: 'abc' });
  expectFailure(['info'], 1, /PNEUMO_THREADS="0"/, { PNEUMO_THREADS: '0' });
  const ok = pneumo(['info', '--json'], { PNEUMO_THREADS: '1', PNEUMO_CPU_CACHE_MB: '0' });
  assert.equal(ok.status, 0, ok.stderr);
  assert.equal(JSON.parse(ok.stdout).threads, 1);
});

test('an unknown command is a usage error', () => {
  expectFailure(['frobnicate'], 2, /unknown command/);
});

test('pneumo bench without its fixtures says which files it needs, in one line', () => {
  const run = pneumo(['bench', 'data', '--quick'], { PNEUMO_FIXTURES: path.join(root, 'no-fixtures-here') });
  assert.equal(run.status, 1);
  assert.match(run.stderr, /needs the test fixtures, but PNEUMO_FIXTURES=.*no-fixtures-here does not exist\n$/);
  assert.equal(run.stderr.trim().split('\n').length, 1, run.stderr);
});
