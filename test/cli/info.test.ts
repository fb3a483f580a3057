import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runPneumo } from './run-pneumo.js';

const pneumo = (args: string[], env?: NodeJS.ProcessEnv) => runPneumo(['info', ...args], env);

test('pneumo info --json prints one object with the engine fields', () => {
  const run = pneumo(['--json'], { ...process.env, PNEUMO_THREADS: '1' });
  assert.equal(run.status, 0, run.stderr);
  assert.equal(run.stdout.trim().split('\n').length, 1);
  const info = JSON.parse(run.stdout);
  assert.deepEqual(Object.keys(info).sort(), ['blas', 'cuda', 'libtorch', 'mkldnn', 'threads', 'version']);
  assert.match(info.version, /^\d+\.\d+\.\d+/);
  assert.equal(info.threads, 1, 'PNEUMO_THREADS is honoured');
  assert.equal(typeof info.mkldnn, 'boolean');
  assert.match(info.cuda, /^(not available|available, \d+ device\(s\))$/);
  assert.equal(typeof info.blas, 'string');
  assert.equal(typeof info.libtorch, 'string');
});

test('pneumo info prints the same fields as aligned lines', () => {
  const run = pneumo([]);
  assert.equal(run.status, 0, run.stderr);
  const keys = run.stdout
    .trim()
    .split('\n')
    .map((line) => line.split(/\s+/)[0]);
  assert.deepEqual(keys, ['libtorch', 'version', 'threads', 'blas', 'mkldnn', 'cuda']);
});
