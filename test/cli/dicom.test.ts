// The dicom command end to end, as a user runs it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { fixture } from '../fixture-path.js';
import { runPneumo } from './run-pneumo.js';

const pneumo = (...args: string[]) => runPneumo(args);

test('dicom info --json lists metadata, failures at the end, exit 1 when one failed', () => {
  const good = fixture('siim-sample/1.2.276.0.7230010.3.1.4.8323329.4904.1517875185.355709.dcm');
  const bad = fixture('dicom/pydicom/no_meta.dcm');
  const run = pneumo('dicom', 'info', '--json', good, bad);
  assert.equal(run.status, 1);
  const out = JSON.parse(run.stdout) as {
    files: { imageId: string; patientAge: number }[];
    failures: { kind: string }[];
  };
  assert.equal(out.files.length, 1);
  assert.equal(out.files[0].imageId, '1.2.276.0.7230010.3.1.4.8323329.4904.1517875185.355709');
  assert.equal(out.files[0].patientAge, 69);
  assert.deepEqual(
    out.failures.map((f) => f.kind),
    ['not-dicom'],
  );
  assert.match(run.stderr, /1 of 2 files failed/);
  assert.match(run.stderr, /no_meta\.dcm: not a DICOM file/);
  assert.equal(pneumo('dicom', 'info', good).status, 0);
});

test('dicom render writes an 8-bit PNG of the requested size', async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'pneumo-render-'));
  try {
    const out = path.join(dir, 'x.png');
    const run = pneumo('dicom', 'render', fixture('dicom/pylibjpeg/RG2_JPLY.dcm'), '--out', out, '--size', '128');
    assert.equal(run.status, 0, run.stderr);
    const meta = await sharp(out).metadata();
    // 1760 wide x 2140 high -> longer side 128.
    assert.deepEqual([meta.width, meta.height, meta.channels], [105, 128, 1]);
    const bad = pneumo('dicom', 'render', fixture('dicom/pydicom/SC_rgb_small_odd.dcm'), '--out', out);
    assert.equal(bad.status, 1);
    assert.match(bad.stderr, /^pneumo: SC_rgb_small_odd\.dcm: colour image/);
  } finally {
    rmSync(dir, { recursive: true });
  }
});
