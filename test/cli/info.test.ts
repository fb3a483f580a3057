import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { runPneumo } from './run-pneumo.js';

const pneumo = (args: string[], env?: NodeJS.ProcessEnv) => runPneumo(['info', ...args], env);

test('pneumo info --json prints one object with the engine fields', () => {
  const run = pneumo(['--json'], { ...process.env, PNEUMO_THREADS: '1' });
  assert.equal(run.status, 0, run.stderr);
  assert.equal(run.stdout.trim().split('\n').length, 1);
  const info = JSON.parse(run.stdout);
  assert.deepEqual(Object.keys(info).sort(), [
    'blas',
    'builtAgainst',
    'cpuBf16',
    'cuda',
    'cudaDevices',
    'libtorch',
    'mkldnn',
    'threads',
    'version',
  ]);
  assert.match(info.version, /^\d+\.\d+\.\d+/);
  assert.match(info.builtAgainst, /^\d+\.\d+\.\d+/);
  assert.equal(info.threads, 1, 'PNEUMO_THREADS is honoured');
  assert.equal(typeof info.mkldnn, 'boolean');
  assert.match(info.cuda, /^(not available|available, \d+ device\(s\))$/);
  assert.equal(typeof info.blas, 'string');
  assert.equal(typeof info.libtorch, 'string');
  // The driver's list, independent of libtorch: this machine may have a GPU that a CPU libtorch cannot use.
  assert.ok(Array.isArray(info.cudaDevices));
  for (const d of info.cudaDevices) {
    assert.equal(typeof d.name, 'string');
    assert.ok(d.totalMemory > 0);
    assert.match(d.computeCapability, /^\d+\.\d+$/);
  }
  const cpuFlags = /\b(avx512_bf16|amx_bf16)\b/.test(readFileSync('/proc/cpuinfo', 'utf8'));
  assert.equal(/^none/.test(info.cpuBf16), !cpuFlags);
});

test('pneumo info prints the same fields as aligned lines', () => {
  const run = pneumo([]);
  assert.equal(run.status, 0, run.stderr);
  const keys = run.stdout
    .trim()
    .split('\n')
    .map((line) => line.split(/\s+/)[0]);
  assert.deepEqual(keys.slice(0, 8), [
    'libtorch',
    'version',
    'builtAgainst',
    'threads',
    'blas',
    'mkldnn',
    'cuda',
    'cpuBf16',
  ]);
  assert.ok(
    keys.slice(8).every((k) => /^cuda:\d+$/.test(k)),
    'then one line per CUDA device',
  );
});
