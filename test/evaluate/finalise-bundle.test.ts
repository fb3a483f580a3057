// finaliseBundle: validation predictions in, the siim point, the triage point and the temperature
// written into the bundle with their rules, as `pneumo bundle`, `evaluate --write-bundle` and `fit` call it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { finaliseBundle } from '../../src/evaluate/finalise-bundle.js';
import { chooseTriagePoint } from '../../src/evaluate/operating-point.js';
import { fitTemperature } from '../../src/metrics/calibration.js';
import { makeBundle, readBundleManifest } from '../../src/pipeline/bundle.js';
import type { PipelineRecord } from '../../src/evaluate/threshold-sweep.js';
import type { TripletImage } from '../../src/evaluate/triplet-search.js';
import { writeTinyRun } from '../pipeline/tiny-models.js';

const root = mkdtempSync(path.join(tmpdir(), 'pneumo-finalise-'));
test.after(() => rmSync(root, { recursive: true, force: true }));

/** 40 validation images on 8x8 maps: positives score higher and carry a mask over their truth; some negatives carry a spurious blob. */
function predictions(): { records: PipelineRecord[]; tripletImages: TripletImage[] } {
  const records: PipelineRecord[] = [];
  const tripletImages: TripletImage[] = [];
  for (let i = 0; i < 40; i++) {
    const label: 0 | 1 = i % 2 === 0 ? 1 : 0;
    const probability = Math.round((label === 1 ? 0.35 + (i % 13) * 0.05 : 0.05 + (i % 11) * 0.05) * 100) / 100;
    const map = new Float32Array(64);
    const truth = new Uint8Array(64);
    const size = label === 1 ? 1 + (i % 6) : i % 4 === 1 ? 2 : 0;
    for (let k = 0; k < size; k++) {
      map[k] = 0.4 + (i % 5) * 0.1;
      if (label === 1) truth[k] = 1;
    }
    tripletImages.push({ imageId: `i${i}`, probability, map, truth, width: 8, height: 8, label });
    records.push({
      imageId: `i${i}`,
      probability,
      label,
      segmentedDice: label === 1 ? 1 : size > 0 ? 0 : 1,
      maskFound: size > 0,
    });
  }
  return { records, tripletImages };
}

async function tinyBundle(name: string): Promise<string> {
  const c = path.join(root, `${name}-c`);
  const s = path.join(root, `${name}-s`);
  await writeTinyRun(c, { role: 'classifier', inputSize: 32 });
  await writeTinyRun(s, { role: 'segmenter', inputSize: 64 });
  const out = path.join(root, name);
  await makeBundle({ classifierRun: c, segmenterRun: s, out, thresholds: { classifier: 0.5 } });
  return out;
}

test('finalising writes the siim point, the triage point and the temperature, each with its rule and images', async () => {
  const dir = await tinyBundle('all');
  const validation = predictions();
  const result = await finaliseBundle(dir, validation, { split: 'DATA (validation split, fraction 0.2, seed 1)' });
  const manifest = await readBundleManifest(dir);
  const points = manifest.operatingPoints!;
  assert.deepEqual(points, result.points);
  // siim: the triplet search's best, which thresholds repeats.
  const best = result.choice.triplet!.best;
  assert.deepEqual(manifest.thresholds, {
    classifier: best.classifierThreshold,
    pixel: best.pixelThreshold,
    minArea: best.minArea,
  });
  assert.equal(points.siim.source.siimScore, best.siimScore);
  assert.match(points.siim.source.rule, /joint triplet search/);
  // triage: the rule's own answer on the same maps, at the default floor 0.9.
  const triage = chooseTriagePoint(validation.tripletImages);
  assert.deepEqual(
    [points.triage.classifier, points.triage.pixel, points.triage.minArea],
    [triage.point.classifierThreshold, triage.point.pixelThreshold, triage.point.minArea],
  );
  assert.equal(points.triage.recall, triage.point.recall);
  assert.ok(points.triage.recall! >= 0.9);
  assert.equal(points.triage.floorMet, true);
  assert.ok(points.triage.specificity! <= 1);
  for (const p of [points.siim, points.triage]) {
    assert.equal(p.source.split, 'DATA (validation split, fraction 0.2, seed 1)');
    assert.equal(p.source.images, 40);
  }
  // The temperature, fitted on the same images, and the check before and after it.
  const scores = validation.records.map((r) => r.probability);
  const truth = validation.records.map((r) => r.label);
  assert.equal(manifest.calibration?.temperature, fitTemperature(scores, truth));
  assert.equal(manifest.calibration?.n, 40);
  assert.ok(result.calibrationCheck?.calibrated);
  assert.ok(
    result.calibrationCheck.calibrated.brierScore! <= result.calibrationCheck.uncalibrated.brierScore! + 1e-12,
    'the fitted temperature does not worsen the Brier score where it was fitted',
  );
});

test('a triage floor given and calibration left out; no prediction is an error', async () => {
  const dir = await tinyBundle('floor');
  const validation = predictions();
  const result = await finaliseBundle(dir, validation, { split: 'all of DATA', triageRecall: 0.5, calibrate: false });
  assert.equal(result.points.triage.recallFloor, 0.5);
  assert.ok(
    result.points.triage.specificity! >=
      (await finaliseBundle(dir, validation, { split: 's' })).points.triage.specificity!,
  );
  assert.equal(result.calibration, null);
  await assert.rejects(
    finaliseBundle(dir, { records: [], tripletImages: [] }, { split: 's' }),
    /no validation prediction/,
  );
});
