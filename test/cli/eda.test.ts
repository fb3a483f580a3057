import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { SIIM_SAMPLE, SIIM_SAMPLE_CSV } from '../fixture-path.js';
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
    assert.doesNotMatch(run.stderr, /WARN/, 'no Vega warnings while the report is drawn');
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

test('pneumo eda --labels: a .gz file reads as the CSV; an empty or all-garbage file exits 1 naming it; no Vega warnings', async () => {
  const dir = await mkdtemp(path.join(tmpdir(), 'pneumo-cli-eda-labels-'));
  try {
    const gz = path.join(dir, 'train-rle.csv.gz');
    writeFileSync(gz, gzipSync(readFileSync(SIIM_SAMPLE_CSV)));
    const run = pneumo('eda', '--labels', gz, '--out', path.join(dir, 'out'), '--json');
    assert.equal(run.status, 0, run.stderr);
    const summary = JSON.parse(run.stdout);
    assert.deepEqual([summary.rows, summary.images, summary.positive, summary.labelProblems], [10, 10, 5, 0]);
    assert.equal(run.stderr, '', 'nothing on stderr: no Vega-Lite warning from the mask-size chart');
    for (const [name, text] of [
      ['empty.csv', ''],
      ['header-only.csv', 'ImageId,EncodedPixels\n'],
      ['garbage.csv', 'this is,not,a label file\nimg-1,1 2 3\nimg-2,abc\n'],
    ]) {
      const file = path.join(dir, name);
      writeFileSync(file, text);
      const bad = pneumo('eda', '--labels', file, '--out', path.join(dir, `out-${name}`));
      assert.equal(bad.status, 1, `${name}: ${bad.stderr}`);
      assert.equal(bad.stderr.trim().split('\n').length, 1, bad.stderr);
      assert.ok(bad.stderr.startsWith(`pneumo: ${file}: no `), bad.stderr);
      assert.equal(existsSync(path.join(dir, `out-${name}`, 'index.html')), false, 'no report of nothing');
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
