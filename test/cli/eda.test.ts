import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { SIIM_SAMPLE } from '../fixture-path.js';
import { runPneumo } from './run-pneumo.js';

const pneumo = (...args: string[]) => runPneumo(args);

test('pneumo eda --data --json: one JSON line, the report written, no progress noise on stdout', async () => {
  const out = await mkdtemp(path.join(tmpdir(), 'pneumo-cli-eda-'));
  try {
    const run = pneumo(
      'eda',
      '--data',
      SIIM_SAMPLE,
      '--labels',
      path.join(SIIM_SAMPLE, 'train-rle-sample.csv'),
      '--out',
      out,
      '--json',
    );
    assert.equal(run.status, 0, run.stderr);
    const lines = run.stdout.trim().split('\n');
    assert.equal(lines.length, 1);
    const summary = JSON.parse(lines[0]);
    assert.deepEqual(
      [summary.images, summary.positive, summary.negative, summary.files, summary.unreadable],
      [10, 5, 5, 10, 0],
    );
    assert.ok(existsSync(path.join(out, 'index.html')) && existsSync(path.join(out, 'metadata.csv')));
  } finally {
    await rm(out, { recursive: true, force: true });
  }
});

test('pneumo eda: usage errors (exit 2) and missing inputs (exit 1) give one line on stderr', () => {
  for (const [args, status] of [
    [['eda'], 2],
    [['eda', '--labels', '/no/such/labels.csv', '--out', path.join(tmpdir(), 'unused')], 1],
    [['eda', '--data', SIIM_SAMPLE, '--concurrency', '0'], 2],
  ] as const) {
    const run = pneumo(...args);
    assert.equal(run.status, status, args.join(' '));
    assert.equal(run.stderr.trim().split('\n').length, 1, run.stderr);
    assert.match(run.stderr, /^pneumo: /);
  }
});
