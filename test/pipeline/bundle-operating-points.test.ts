// The bundle's named operating points: written and read back, strictly checked, resolved for a use
// (triage by default, the thresholds standing in for a bundle without them, said once), and decided
// at by the Predictor, predict and its overlay title.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { makeBundle, readBundleManifest, updateBundleThresholds } from '../../src/pipeline/bundle.js';
import { BundleError, validateManifest } from '../../src/pipeline/bundle-manifest.js';
import { resolveOperatingPoint } from '../../src/pipeline/bundle-operating-point.js';
import { Predictor } from '../../src/pipeline/predictor.js';
import { overlayBanner } from '../../src/pipeline/predict-files.js';
import { writeGrayPng } from '../../src/data/image-io.js';
import { registryBundle } from '../interop/registry-bundle.js';
import { runPneumo } from '../cli/run-pneumo.js';
import { tinyModelFactory, writeTinyRun } from './tiny-models.js';
import { squareImage } from './synthetic-images.js';
import { writeOperatingPoints } from './operating-points-fixture.js';

const root = mkdtempSync(path.join(tmpdir(), 'pneumo-points-'));
test.after(() => rmSync(root, { recursive: true, force: true }));

const SIIM = { classifier: 0.99, pixel: 0.6, minArea: 2000 };
const TRIAGE = { classifier: 0.5, pixel: 0.3, minArea: 0 };

async function tinyBundle(name: string): Promise<string> {
  const c = path.join(root, `${name}-c`);
  const s = path.join(root, `${name}-s`);
  await writeTinyRun(c, { role: 'classifier', inputSize: [16, 32], analytic: { gain: 50, bias: -8 } });
  await writeTinyRun(s, { role: 'segmenter', inputSize: [32, 64], analytic: {} });
  const out = path.join(root, name);
  await makeBundle({ classifierRun: c, segmenterRun: s, out, thresholds: { classifier: 0.5 } });
  return out;
}

type PointJson = Record<string, unknown> & { source: Record<string, unknown> };
type ManifestJson = { operatingPoints: Record<string, PointJson>; thresholds: Record<string, unknown> };
const manifestJson = (dir: string): ManifestJson => JSON.parse(readFileSync(path.join(dir, 'bundle.json'), 'utf8'));

test('named points round-trip through bundle.json; thresholds stay the siim point for older readers', async () => {
  const dir = await tinyBundle('round-trip');
  const points = await writeOperatingPoints(dir, SIIM, TRIAGE);
  const back = await readBundleManifest(dir);
  assert.deepEqual(back.operatingPoints, points);
  assert.deepEqual(back.thresholds, SIIM);
  assert.equal(back.thresholdSource.rule, 'fixture: best SIIM score');
  // A hand-set threshold later replaces the siim point too: the two never disagree.
  const hand = { classifier: 0.7, pixel: 0.5, minArea: 0 };
  await updateBundleThresholds(dir, hand, { rule: 'by hand', split: 'none', images: null, at: 'now', siimScore: null });
  const after = await readBundleManifest(dir);
  assert.deepEqual(after.thresholds, hand);
  assert.equal(after.operatingPoints!.siim.classifier, 0.7);
  assert.equal(after.operatingPoints!.siim.recall, null);
  assert.deepEqual(after.operatingPoints!.triage, points.triage);
});

test('operatingPoints is checked strictly: unknown, missing and out-of-range fields, and thresholds that differ from siim', async () => {
  const dir = await tinyBundle('strict');
  await writeOperatingPoints(dir, SIIM, TRIAGE);
  const good = manifestJson(dir);
  const problems = (edit: (j: ManifestJson) => void): string => {
    const json = structuredClone(good);
    edit(json);
    try {
      validateManifest(json, dir);
    } catch (err) {
      assert.ok(err instanceof BundleError);
      return err.message;
    }
    return assert.fail('the manifest was accepted');
  };
  assert.match(
    problems((j) => (j.operatingPoints.screening = j.operatingPoints.triage)),
    /operatingPoints\.screening is not a known field/,
  );
  assert.match(
    problems((j) => delete j.operatingPoints.triage),
    /operatingPoints\.triage is missing/,
  );
  assert.match(
    problems((j) => (j.operatingPoints.triage.recall = 1.5)),
    /operatingPoints\.triage\.recall is 1\.5/,
  );
  assert.match(
    problems((j) => (j.operatingPoints.triage.colour = 'red')),
    /operatingPoints\.triage\.colour is not a known field/,
  );
  assert.match(
    problems((j) => delete j.operatingPoints.siim.source.rule),
    /operatingPoints\.siim\.source\.rule is not text/,
  );
  assert.match(
    problems((j) => (j.operatingPoints.triage.floorMet = 'yes')),
    /operatingPoints\.triage\.floorMet is "yes"/,
  );
  assert.match(
    problems((j) => (j.thresholds.classifier = 0.3)),
    /thresholds differ from operatingPoints\.siim/,
  );
  // Without the field the bundle is as valid as before.
  const { operatingPoints: _points, ...older } = good;
  assert.equal(validateManifest(older, dir).operatingPoints, undefined);
});

test('a use resolves triage by default; a bundle without named points falls back to its thresholds, said once', async () => {
  const dir = await tinyBundle('resolve');
  const without = await readBundleManifest(dir);
  const notices: string[] = [];
  const fallback = resolveOperatingPoint(without, 'triage', (t) => notices.push(t));
  resolveOperatingPoint(without, 'triage', (t) => notices.push(t));
  assert.deepEqual(fallback.thresholds, without.thresholds);
  assert.equal(fallback.named, false);
  assert.equal(notices.length, 1, 'said once per process');
  assert.match(notices[0], /no named operating points .* serve as the triage point/);
  // A Predictor on it says which thresholds it took, and the overlay names no point.
  const plain = await Predictor.load(dir, { modelFactory: tinyModelFactory, threads: 1 });
  assert.equal(plain.operatingPoint, 'thresholds');
  const [p] = plain.predict([squareImage(128, 64, null)]);
  plain.dispose();
  assert.equal(p.operatingPoint, 'thresholds');
  assert.doesNotMatch(overlayBanner(p, null, { name: 'm', version: 'v' }).lines[0], /point/);
  await writeOperatingPoints(dir, SIIM, TRIAGE);
  const withPoints = await readBundleManifest(dir);
  assert.deepEqual(resolveOperatingPoint(withPoints).thresholds, TRIAGE);
  assert.equal(resolveOperatingPoint(withPoints).name, 'triage');
  assert.deepEqual(resolveOperatingPoint(withPoints, 'siim').thresholds, SIIM);
});

test('the Predictor decides at the triage point by default, at siim when asked; the overlay title names the point', async () => {
  const dir = await tinyBundle('predictor');
  await writeOperatingPoints(dir, SIIM, TRIAGE);
  const image = squareImage(128, 64, { x: 32, y: 16, side: 32 });
  const triage = await Predictor.load(dir, { modelFactory: tinyModelFactory, threads: 1 });
  const siim = await Predictor.load(dir, { modelFactory: tinyModelFactory, threads: 1, operatingPoint: 'siim' });
  try {
    assert.deepEqual(triage.thresholds, TRIAGE);
    assert.deepEqual(siim.thresholds, SIIM);
    const [t] = triage.predict([image]);
    const [s] = siim.predict([image]);
    assert.equal(t.operatingPoint, 'triage');
    assert.equal(t.thresholdUncalibrated, TRIAGE.classifier);
    assert.equal(s.operatingPoint, 'siim');
    assert.equal(s.thresholdUncalibrated, SIIM.classifier);
    // The analytic classifier gives the square image a probability between the two thresholds.
    assert.ok(t.probabilityUncalibrated >= TRIAGE.classifier && t.probabilityUncalibrated < SIIM.classifier);
    assert.equal(t.decision, true, 'flagged at the triage point');
    assert.equal(s.decision, false, 'not flagged at the siim point');
    const model = { name: 'pneumo tiny', version: 'test' };
    assert.match(overlayBanner(t, null, model).lines[0], /threshold 0\.50, triage point\)/);
    assert.match(overlayBanner(s, null, model).lines[0], /threshold 0\.99, siim point\)/);
  } finally {
    triage.dispose();
    siim.dispose();
  }
  const given = await Predictor.load(dir, { modelFactory: tinyModelFactory, threads: 1, thresholds: SIIM });
  assert.equal(given.operatingPoint, 'given');
  given.dispose();
});

test('`pneumo predict --operating-point siim` writes the siim thresholds; the default is triage', async () => {
  const dir = path.join(root, 'registry');
  const bundle = await registryBundle(dir);
  const siim = { classifier: 1, pixel: 0.5, minArea: 0 };
  const triage = { classifier: 0, pixel: 0.5, minArea: 0 };
  await writeOperatingPoints(bundle, siim, triage);
  const input = path.join(root, 'square.png');
  await writeGrayPng(squareImage(64, 64, { x: 16, y: 16, side: 24 }), input);
  const run = (out: string, extra: string[]) => {
    const result = runPneumo(['predict', input, '--bundle', bundle, '--out', out, '--threads', '1', ...extra]);
    assert.equal(result.status, 0, result.stderr);
    return JSON.parse(readFileSync(path.join(out, 'predictions.jsonl'), 'utf8').trim());
  };
  const bySiim = run(path.join(root, 'out-siim'), ['--operating-point', 'siim']);
  assert.equal(bySiim.operatingPoint, 'siim');
  assert.equal(bySiim.thresholdUncalibrated, siim.classifier);
  const byDefault = run(path.join(root, 'out-default'), []);
  assert.equal(byDefault.operatingPoint, 'triage');
  assert.equal(byDefault.thresholdUncalibrated, triage.classifier);
  const bad = runPneumo([
    'predict',
    input,
    '--bundle',
    bundle,
    '--out',
    path.join(root, 'o'),
    '--operating-point',
    'x',
  ]);
  assert.equal(bad.status, 2);
});
