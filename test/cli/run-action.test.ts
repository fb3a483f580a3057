import { test } from 'node:test';
import assert from 'node:assert/strict';
import { errorLine } from '../../src/cli/run-action.js';

test('an error reaches the user prefixed once and whole', () => {
  assert.equal(errorLine(new Error('pneumo: pneumo: bundle x: no such folder')), 'pneumo: bundle x: no such folder');
  assert.equal(errorLine('plain text'), 'pneumo: plain text');
  const advice = 'the native engine is not built (x is missing).\nPossible solutions:\n- run `bash scripts/setup.sh`';
  assert.equal(errorLine(new Error(advice)), `pneumo: ${advice}`, 'the "Possible solutions" lines stay');
});
