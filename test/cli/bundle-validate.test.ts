// `pneumo bundle` chooses the bundle's operating points and fits its calibration on the runs' own
// validation split (the folder, fraction and seed run.json records), or on --validate-on DATA; with
// --no-validate, or without the training folder, it makes the bundle alone and says so.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { indexDataset } from '../../src/data/dataset.js';
import { stratifiedSplit } from '../../src/data/split.js';
import { readBundleManifest } from '../../src/pipeline/bundle.js';
import { writeRegistryRun } from '../pipeline/tiny-models.js';
import { writeTinyDicomDataset } from './tiny-dicom-dataset.js';
import { runPneumo } from './run-pneumo.js';

const root = mkdtempSync(path.join(tmpdir(), 'pneumo-bundle-validate-'));
test.after(() => rmSync(root, { recursive: true, force: true }));

test('pneumo bundle: operating points and calibration from the runs’ validation split; --no-validate and a missing folder skip them', async () => {
  const data = path.join(root, 'data');
  writeTinyDicomDataset(data, 64, 30);
  const c = path.join(root, 'run-c');
  const s = path.join(root, 'run-s');
  await writeRegistryRun(c, { architecture: 'classifier-resnet18-w16', inputSize: 64, data });
  await writeRegistryRun(s, { architecture: 'unet-resnet18-w16', inputSize: 64, data });
  const bundle = path.join(root, 'bundle');
  const made = runPneumo(['bundle', '--classifier', c, '--segmenter', s, '--out', bundle, '--threads', '1']);
  assert.equal(made.status, 0, made.stderr);
  assert.match(made.stdout, /siim point: classifier .*\ntriage point: classifier .*\ncalibration: temperature /);
  const manifest = await readBundleManifest(bundle);
  const validation = stratifiedSplit((await indexDataset(data)).items, { validationFraction: 0.2, seed: 1 }).validation;
  const points = manifest.operatingPoints!;
  for (const p of [points.siim, points.triage]) {
    assert.equal(p.source.images, validation.length);
    assert.equal(p.source.split, `${data} (validation split, fraction 0.2, seed 1)`);
  }
  assert.equal(points.triage.recallFloor, 0.9);
  assert.equal(manifest.calibration?.n, validation.length);
  assert.equal(manifest.calibration?.fittedOn, `${data} (validation split, fraction 0.2, seed 1)`);
  assert.deepEqual(manifest.thresholds, {
    classifier: points.siim.classifier,
    pixel: points.siim.pixel,
    minArea: points.siim.minArea,
  });

  const plain = path.join(root, 'plain');
  const skipped = runPneumo(['bundle', '--classifier', c, '--segmenter', s, '--out', plain, '--no-validate']);
  assert.equal(skipped.status, 0, skipped.stderr);
  const plainManifest = await readBundleManifest(plain);
  assert.equal(plainManifest.operatingPoints, undefined);
  assert.equal(plainManifest.calibration, undefined);

  // Runs whose training folder is gone: the bundle is made, and stderr says what it lacks.
  const gone = path.join(root, 'gone-c');
  await writeRegistryRun(gone, {
    architecture: 'classifier-resnet18-w16',
    inputSize: 64,
    data: path.join(root, 'nowhere'),
  });
  const noData = runPneumo(['bundle', '--classifier', gone, '--segmenter', s, '--out', path.join(root, 'b3')]);
  assert.equal(noData.status, 0, noData.stderr);
  assert.match(noData.stderr, /nowhere is not there; the bundle has no operating points or calibration yet/);
});
