import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { SIIM_SAMPLE_CRLF_BOM_CSV, SIIM_SAMPLE_CSV } from '../fixture-path.js';
import { runPneumo } from './run-pneumo.js';

const pneumo = (...args: string[]) => runPneumo(['score', ...args]);

test('pneumo score: the sample truth against itself prints 1.000000 and exits 0', () => {
  const run = pneumo('--truth', SIIM_SAMPLE_CSV, '--pred', SIIM_SAMPLE_CRLF_BOM_CSV);
  assert.equal(run.status, 0, run.stderr);
  assert.match(run.stdout, /^SIIM score 1\.000000 \(mean per-image Dice over 10 images/);
  assert.equal(run.stderr, '');
});

test('pneumo score: --json, --all-truth, missing ids, malformed rows and unreadable files', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'pneumo-score-cli-'));
  try {
    // All -1 for the first 8 sample images, one made-up id; two images missing from the prediction.
    const ids = readFileSync(SIIM_SAMPLE_CSV, 'utf8')
      .replace(/^\uFEFF/, '')
      .split(/\r?\n/)
      .map((l) => l.split(',')[0]);
    const pred = path.join(dir, 'pred.csv');
    writeFileSync(pred, ['ImageId,EncodedPixels', ...ids.slice(0, 8).map((id) => `${id},-1`), 'made.up,-1'].join('\n'));
    const run = pneumo('--truth', SIIM_SAMPLE_CSV, '--pred', pred, '--json');
    assert.equal(run.status, 0, run.stderr);
    const report = JSON.parse(run.stdout);
    // The first 8 rows hold 5 negatives and 3 positives: Dice 5/8.
    assert.equal(report.score, 5 / 8);
    assert.deepEqual(report.onlyInTruth, ids.slice(8));
    assert.deepEqual(report.onlyInPrediction, ['made.up']);
    // --all-truth scores the two missing positives as empty predictions: 5/10.
    const all = JSON.parse(pneumo('--truth', SIIM_SAMPLE_CSV, '--pred', pred, '--json', '--all-truth').stdout);
    assert.equal(all.score, 0.5);
    assert.equal(all.countedAsEmpty, 2);
    const text = pneumo('--truth', SIIM_SAMPLE_CSV, '--pred', pred).stdout;
    assert.match(text, /^SIIM score 0\.625000 /);
    assert.match(text, /only in truth: 2 \(not scored; --all-truth scores them as empty predictions\)/);
    assert.match(text, /only in prediction: 1 \(not scored\): made\.up/);

    const bad = path.join(dir, 'bad.csv');
    writeFileSync(bad, `${ids[0]},-1\n${ids[5]},1 2 3\n${ids[6]},-1,extra\n`);
    const malformed = pneumo('--truth', SIIM_SAMPLE_CSV, '--pred', bad);
    assert.equal(malformed.status, 1);
    assert.match(malformed.stdout, /^SIIM score 1\.000000 .* over 1 images/);
    assert.match(
      malformed.stdout,
      new RegExp(`bad\\.csv line 2 \\(image ${ids[5].replace(/\./g, '\\.')}\\): odd count`),
    );
    assert.match(malformed.stdout, /bad\.csv line 3 .*expected 2 fields/);
    assert.match(malformed.stderr, /^pneumo: 2 malformed rows/);

    const missing = pneumo('--truth', path.join(dir, 'none.csv'), '--pred', pred);
    assert.equal(missing.status, 1);
    assert.equal(
      missing.stderr,
      `pneumo: ${path.join(dir, 'none.csv')}: cannot read the label file: no such file or folder\n`,
    );
    const usage = pneumo('--truth', SIIM_SAMPLE_CSV);
    assert.equal(usage.status, 2);
    assert.match(usage.stderr, /required option '--pred <csv>'/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('pneumo score: gzipped files score as the plain ones; a file with no valid row exits 1 naming it, stdout stays text', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'pneumo-score-gz-'));
  try {
    const gz = path.join(dir, 'truth.csv.gz');
    writeFileSync(gz, gzipSync(readFileSync(SIIM_SAMPLE_CSV)));
    const run = pneumo('--truth', gz, '--pred', SIIM_SAMPLE_CRLF_BOM_CSV, '--json');
    assert.equal(run.status, 0, run.stderr);
    const report = JSON.parse(run.stdout);
    assert.deepEqual([report.score, report.truthImages, report.malformedTruth.length], [1, 10, 0]);
    const both = pneumo('--truth', gz, '--pred', gz);
    assert.equal(both.status, 0, both.stderr);
    assert.match(both.stdout, /^SIIM score 1\.000000 .* over 10 images/);

    const garbage = path.join(dir, 'garbage.csv');
    writeFileSync(garbage, 'img-1,1 2 3\nimg-2,x y\n,-1\n');
    const empty = path.join(dir, 'empty.csv');
    writeFileSync(empty, '');
    const binary = path.join(dir, 'binary.csv');
    writeFileSync(binary, Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 37) % 256)));
    for (const [args, file] of [
      [['--truth', garbage, '--pred', gz], garbage],
      [['--truth', gz, '--pred', empty], empty],
      [['--truth', binary, '--pred', gz], binary],
    ] as const) {
      const bad = pneumo(...args);
      assert.equal(bad.status, 1, bad.stderr);
      assert.equal(bad.stdout, '', 'nothing on stdout, least of all the bytes of the file');
      assert.equal(bad.stderr.trim().split('\n').length, 1, bad.stderr);
      assert.ok(bad.stderr.startsWith(`pneumo: ${file}: `), bad.stderr);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
