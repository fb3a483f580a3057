// bundle.json's optional calibration section: absent in a bundle made without one, written and read
// back, validated when present, and applied to a probability for display.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { makeBundle, readBundleManifest, updateBundleCalibration } from '../../src/pipeline/bundle.js';
import { displayedProbability } from '../../src/pipeline/calibrated-probability.js';
import { readImage } from '../../src/data/image-io.js';
import { applyTemperature } from '../../src/metrics/calibration.js';
import { Predictor } from '../../src/pipeline/predictor.js';
import { tinyModelFactory, writeTinyRun } from './tiny-models.js';
import { SIIM_SAMPLE } from '../fixture-path.js';
import { readdirSync } from 'node:fs';

const root = mkdtempSync(path.join(tmpdir(), 'pneumo-bundle-calibration-'));
test.after(() => rmSync(root, { recursive: true, force: true }));

test('calibration: absent, written, read back, validated, applied', async () => {
  await writeTinyRun(path.join(root, 'c'), { role: 'classifier', inputSize: 32 });
  await writeTinyRun(path.join(root, 's'), { role: 'segmenter', inputSize: 64 });
  const dir = path.join(root, 'b');
  await makeBundle({ classifierRun: path.join(root, 'c'), segmenterRun: path.join(root, 's'), out: dir });
  const before = await readBundleManifest(dir);
  assert.equal(before.calibration, undefined);
  assert.deepEqual(displayedProbability(0.8, before), {
    probability: 0.8,
    probabilityUncalibrated: 0.8,
    calibrated: false,
  });

  const calibration = { method: 'temperature' as const, temperature: 2, fittedOn: 'validation', n: 40 };
  await updateBundleCalibration(dir, calibration);
  const after = await readBundleManifest(dir);
  assert.deepEqual(after.calibration, calibration);
  const shown = displayedProbability(0.8, after);
  // sigmoid(logit(0.8) / 2) = 2 / (2 + 1) = 0.6667: sqrt of the odds 4.
  assert.ok(Math.abs(shown.probability - 2 / 3) < 1e-9, String(shown.probability));
  assert.equal(shown.probabilityUncalibrated, 0.8);
  assert.equal(shown.calibrated, true);

  // The Predictor shows the calibrated probability and threshold; the decision is the model's own.
  const film = readdirSync(SIIM_SAMPLE).find((f) => f.endsWith('.dcm'))!;
  const predictor = await Predictor.load(dir, { modelFactory: tinyModelFactory, threads: 1 });
  const [p] = predictor.predict([await readImage(path.join(SIIM_SAMPLE, film))]);
  const [own] = predictor.classify([await readImage(path.join(SIIM_SAMPLE, film))]);
  predictor.dispose();
  assert.equal(p.calibrated, true);
  assert.ok(Math.abs(p.probabilityUncalibrated - own) < 1e-6);
  assert.ok(Math.abs(p.probability - applyTemperature(p.probabilityUncalibrated, 2)) < 1e-12);
  assert.ok(Math.abs(p.threshold - applyTemperature(after.thresholds.classifier, 2)) < 1e-12);
  assert.equal(p.thresholdUncalibrated, after.thresholds.classifier);
  assert.equal(p.probability >= p.threshold, p.probabilityUncalibrated >= p.thresholdUncalibrated);

  const file = path.join(dir, 'bundle.json');
  const json = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
  writeFileSync(
    file,
    JSON.stringify({ ...json, calibration: { method: 'platt', temperature: -1, fittedOn: 'x', n: 0 } }),
  );
  await assert.rejects(
    readBundleManifest(dir),
    /calibration\.method is "platt".*calibration\.temperature is -1.*calibration\.n is 0/,
  );
});
