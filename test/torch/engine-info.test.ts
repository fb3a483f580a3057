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
