import { test } from 'node:test';
import assert from 'node:assert/strict';
import os from 'node:os';
import { readEngineEnvironment, EngineEnvironmentError } from '../../src/torch/environment.js';

test('engine variables: defaults, values, and one clear error per bad value', () => {
  assert.deepEqual(readEngineEnvironment({}), { threads: os.availableParallelism(), cpuCacheMb: null });
  assert.deepEqual(readEngineEnvironment({ PNEUMO_THREADS: '3', PNEUMO_CPU_CACHE_MB: '0' }), {
    threads: 3,
    cpuCacheMb: 0,
  });
  for (const [name, value] of [
    ['PNEUMO_CPU_CACHE_MB', 'abc'],
    ['PNEUMO_CPU_CACHE_MB', '-1'],
    ['PNEUMO_CPU_CACHE_MB', '1.5'],
    ['PNEUMO_THREADS', '0'],
    ['PNEUMO_THREADS', 'many'],
  ])
    assert.throws(
      () => readEngineEnvironment({ [name]: value }),
      (err: Error) => err instanceof EngineEnvironmentError && err.message.startsWith(`${name}="${value}": expected`),
    );
});
