import { test } from 'node:test';
import assert from 'node:assert/strict';
import { errorLine } from '../../src/cli/run-action.js';

test('an error reaches the user prefixed once and whole', () => {
  assert.equal(errorLine(new Error('pneumo: pneumo: bundle x: no such folder')), 'pneumo: bundle x: no such folder');
  assert.equal(errorLine('plain text'), 'pneumo: plain text');
  const advice = 'the native engine is not built (x is missing).\nPossible solutions:\n- run `bash scripts/setup.sh`';
  assert.equal(errorLine(new Error(advice)), `pneumo: ${advice}`, 'the "Possible solutions" lines stay');
});

test('a file-system error reaches the user as the path and the reason in words', async () => {
  const { readFile } = await import('node:fs/promises');
  const { tmpdir } = await import('node:os');
  const missing = await readFile('/no/such/folder/labels.csv').catch((err: unknown) => err);
  assert.equal(errorLine(missing), 'pneumo: /no/such/folder/labels.csv: the folder /no/such/folder does not exist');
  const absent = await readFile(`${tmpdir()}/pneumo-absent-${process.pid}.csv`).catch((err: unknown) => err);
  assert.equal(errorLine(absent), `pneumo: ${tmpdir()}/pneumo-absent-${process.pid}.csv: no such file or folder`);
  const folder = await readFile(tmpdir()).catch((err: unknown) => err);
  assert.match(errorLine(folder), /^pneumo: (.+: )?is a folder, not a file$/);
});
