import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { decodeRle } from '../../src/data/rle.js';
import type { PredictionRecord } from '../../src/pipeline/predict-files.js';
import { SIIM_SAMPLE, SIIM_SAMPLE_ID_PREFIX } from '../fixture-path.js';
import { runPneumo } from '../cli/run-pneumo.js';
import { dciodvfyErrors, maskRuns, pydicomView } from './dicom-tools.js';
import { registryBundle } from './registry-bundle.js';

const root = mkdtempSync(path.join(tmpdir(), 'pneumo-dicom-out-'));
test.after(() => rmSync(root, { recursive: true, force: true }));
const ID = `${SIIM_SAMPLE_ID_PREFIX}4904.1517875185.355709`;

test('pneumo predict --dicom-out writes SEG, SC and SR per DICOM input; --empty-seg alone is a usage error', async () => {
  const bundle = await registryBundle(root);
  const out = path.join(root, 'out');
  const dicomOut = path.join(root, 'dicom');
  const args = ['predict', path.join(SIIM_SAMPLE, `${ID}.dcm`), '--bundle', bundle, '--out', out, '--threads', '1'];
  const result = runPneumo([...args, '--dicom-out', dicomOut]);
  assert.equal(result.status, 0, result.stderr);
  assert.deepEqual(readdirSync(dicomOut).sort(), [`${ID}.sc.dcm`, `${ID}.seg.dcm`, `${ID}.sr.dcm`]);
  const record = JSON.parse(readFileSync(path.join(out, 'predictions.jsonl'), 'utf8')) as PredictionRecord;
  assert.deepEqual(record.derived, { dicom: { seg: `${ID}.seg.dcm`, sc: `${ID}.sc.dcm`, sr: `${ID}.sr.dcm` } });
  const seg = path.join(dicomOut, `${ID}.seg.dcm`);
  assert.deepEqual(dciodvfyErrors(seg), []);
  const [view] = pydicomView([seg]);
  assert.ok(record.area.pixels > 0);
  assert.deepEqual(view.seg!.runs, maskRuns(decodeRle(record.rle, record.width, record.height).data));

  const usage = runPneumo([...args, '--empty-seg']);
  assert.equal(usage.status, 2);
  assert.equal(usage.stderr, 'pneumo: --empty-seg needs --dicom-out DIR\n');
});
