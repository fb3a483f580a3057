import { test } from 'node:test';
import assert from 'node:assert/strict';
import os from 'node:os';
import { engineInfo } from '../../src/torch/engine-info.js';

test('the engine loads libtorch and uses every core by default', () => {
  const info = engineInfo();
  assert.match(info.version, /^\d+\.\d+\.\d+/);
  assert.equal(info.threads, Number(process.env.PNEUMO_THREADS) || os.availableParallelism());
  assert.ok(!/reference BLAS/.test(info.blas), `slow BLAS loaded: ${info.blas}`);
});

test('the loaded libtorch is the release the addon was compiled against', () => {
  // Two sources: the headers' TORCH_VERSION at compile time, the loaded library's own build settings
  // at run time. libtorch's sonames carry major.minor, so the two can differ only in the patch.
  const { version, builtAgainst } = engineInfo();
  assert.match(builtAgainst, /^\d+\.\d+\.\d+/);
  assert.match(version, /^\d+\.\d+\.\d+/);
  const release = (v: string) => v.split('.').slice(0, 2).join('.');
  assert.equal(release(version), release(builtAgainst));
});
