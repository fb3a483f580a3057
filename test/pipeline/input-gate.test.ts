// The input gate end to end on a tiny synthetic set with a tiny model: the demo's classifier
// architecture at input 64 with seeded random weights (quality does not matter: its pooled features
// still describe what a chest film looks like), the learned gate fitted by the real `pneumo gate
// fit`, then the Predictor and `pneumo predict` on chest films and on images they must refuse (CT and
// MR slices, a colour DICOM, 90-degree rotations, inverted films, synthetic laterals, natural scenes).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import * as torch from '../../src/torch/index.js';
import { writeRegistryRun } from '../../bench/support/registry-run.js';
import { makeBundle, readBundleManifest } from '../../src/pipeline/bundle.js';
import { writeSynthDataset } from '../../src/data/synth/dataset-writer.js';
import { findDicomFiles } from '../../src/data/dataset.js';
import { readImageWithMeta, writeGrayPng } from '../../src/data/image-io.js';
import { readDicomHeader, type DicomMeta } from '../../src/data/dicom/index.js';
import type { GrayImage } from '../../src/data/image.js';
import { DEMO_MODELS } from '../../src/pipeline/demo-models.js';
import { Predictor } from '../../src/pipeline/predictor.js';
import { checkHeader, DEFAULT_GATE_RULES } from '../../src/pipeline/gate-rules.js';
import { readGateFile } from '../../src/pipeline/gate-file.js';
import { BundleError, validateManifest } from '../../src/pipeline/bundle-manifest.js';
import type { PredictionRecord } from '../../src/pipeline/predict-files.js';
import { inverted, naturalScene, rotated90, syntheticLateral } from './off-distribution-images.js';
import { runPneumo } from '../cli/run-pneumo.js';
import { fixture } from '../fixture-path.js';

const root = mkdtempSync(path.join(tmpdir(), 'pneumo-input-gate-'));
test.after(() => rmSync(root, { recursive: true, force: true }));
const bundle = path.join(root, 'bundle');
const NORMALIZATION = { mean: 0.5, std: 0.25 };
let testFiles: string[] = [];

test.before(async () => {
  torch.manualSeed(7);
  writeRegistryRun(path.join(root, 'run-c'), DEMO_MODELS.classifier, 64, NORMALIZATION);
  writeRegistryRun(path.join(root, 'run-s'), DEMO_MODELS.segmenter, 64, NORMALIZATION);
  await makeBundle({
    classifierRun: path.join(root, 'run-c'),
    segmenterRun: path.join(root, 'run-s'),
    out: bundle,
    thresholds: { classifier: 0.5, pixel: 0.5, minArea: 0 },
  });
  await writeSynthDataset(path.join(root, 'data'), { n: 48, size: 256, seed: 3 });
  await writeSynthDataset(path.join(root, 'test'), { n: 12, size: 256, seed: 4 });
  testFiles = (await findDicomFiles(path.join(root, 'test'))).sort();
});

const header = (f: string) => readDicomHeader(f);

test('`pneumo gate fit` writes gate.safetensors and bundle.json gate: split, method, threshold, digest', () => {
  // The random-weight model's features are not the trained ReLU maps the square root is for: plain.
  const fitted = runPneumo([
    'gate',
    'fit',
    '--bundle',
    bundle,
    '--data',
    path.join(root, 'data'),
    '--transform',
    'none',
    '--json',
  ]);
  assert.equal(fitted.status, 0, fitted.stderr);
  const { gate } = JSON.parse(fitted.stdout) as { gate: Record<string, unknown> };
  const manifest = JSON.parse(readFileSync(path.join(bundle, 'bundle.json'), 'utf8'));
  assert.deepEqual(manifest.gate, gate);
  assert.equal(gate.method, 'mahalanobis');
  assert.equal(gate.percentile, 99.5);
  // The bundle records no split of its runs here: a stratified 0.2 split of the 48 images.
  assert.equal((gate.n as number) + (gate.validationN as number), 48);
  assert.equal(gate.validationN, 10);
  assert.match(String(gate.fittedOn), /stratified split \(validation fraction 0.2, seed 1\)/);
  assert.match(String(gate.featureLayer), /resnet18-w16 deepest stage \(stride 32\), global average pool/);
  const bytes = readFileSync(path.join(bundle, 'gate.safetensors'));
  assert.equal(gate.sha256, createHash('sha256').update(bytes).digest('hex'));
  // bundle.json's gate is checked like every other field.
  assert.throws(
    () => validateManifest({ ...manifest, gate: { ...manifest.gate, method: 'lof' } }, bundle),
    BundleError,
  );
  assert.throws(() => validateManifest({ ...manifest, gate: { ...manifest.gate, extra: 1 } }, bundle), /gate.extra/);
  // A gate file changed after bundling is refused by its digest.
  const copy = path.join(root, 'tampered');
  mkdirSync(copy);
  writeFileSync(path.join(copy, 'gate.safetensors'), Buffer.concat([bytes, Buffer.from(' ')]));
  assert.throws(() => readGateFile(copy, manifest.gate), /does not match the SHA-256/);
});

test('the Predictor: chest films pass the learned gate; rotated, inverted, lateral, natural, CT and MR images do not', async () => {
  const predictor = await Predictor.load(bundle, { threads: 1 });
  try {
    assert.ok(predictor.oodModel && predictor.oodThreshold !== null);
    const films: GrayImage[] = [];
    const metas: (DicomMeta | null)[] = [];
    for (const f of testFiles) {
      const { image, meta } = await readImageWithMeta(f);
      films.push(image);
      metas.push(meta);
    }
    const chest = predictor.predict(films, metas);
    for (const [i, p] of chest.entries()) {
      assert.ok(!p.gate.reasons.includes('out-of-distribution'), `${testFiles[i]}: ${p.gate.oodScore}`);
      // Assessed exactly when the header rules pass (a synthetic child is refused by age, as it should be).
      const headerReasons = checkHeader(metas[i]).reasons;
      assert.equal(p.status, headerReasons.length === 0 ? 'assessed' : 'not-assessed');
      assert.deepEqual(p.gate.reasons, headerReasons);
      assert.equal(p.gate.threshold, predictor.oodThreshold);
    }
    const six = films.slice(0, 6);
    const off: [string, GrayImage][] = [
      ...six.map((f, i): [string, GrayImage] => [`rotated ${i}`, rotated90(f)]),
      ...six.map((f, i): [string, GrayImage] => [`inverted ${i}`, inverted(f)]),
      ...six.map((f, i): [string, GrayImage] => [`lateral ${i}`, syntheticLateral(f)]),
      ['natural 1', naturalScene(256, 200, 1)],
      ['natural 2', naturalScene(300, 300, 2)],
    ];
    // No header (as a PNG): only the learned gate speaks.
    const refused = predictor.predict(off.map(([, image]) => image));
    for (const [i, p] of refused.entries()) {
      assert.equal(p.status, 'not-assessed', `${off[i][0]}: ${p.gate.oodScore} <= ${p.gate.threshold}`);
      assert.deepEqual(p.gate.reasons, ['out-of-distribution']);
      assert.equal(p.segmented, false, 'a refused image is not segmented');
      assert.equal(p.decision, false);
      assert.equal(p.rle, '-1');
    }
    const lowest = Math.min(...refused.map((p) => p.gate.oodScore!));
    const highest = Math.max(...chest.map((p) => p.gate.oodScore!));
    assert.ok(lowest > highest, `every refused image scores above every chest film (${lowest} > ${highest})`);
    for (const name of ['CT_small.dcm', 'MR_small.dcm']) {
      const { image, meta } = await readImageWithMeta(fixture('dicom', 'pydicom', name));
      const [p] = predictor.predict([image], [meta]);
      assert.equal(p.status, 'not-assessed');
      assert.ok(
        p.gate.reasons.some((r) => r.startsWith('modality:')),
        p.gate.reasons.join(),
      );
      assert.ok(p.gate.reasons.includes('out-of-distribution'), `${name}: ${p.gate.oodScore}`);
    }
  } finally {
    predictor.dispose();
  }
  // --no-gate: everything is assessed, and each result says the gate was off.
  const open = await Predictor.load(bundle, { threads: 1, gate: { enabled: false, rules: DEFAULT_GATE_RULES } });
  try {
    const { image, meta } = await readImageWithMeta(fixture('dicom', 'pydicom', 'CT_small.dcm'));
    const [p] = open.predict([image], [meta]);
    assert.equal(p.status, 'assessed');
    assert.equal(p.gate.enabled, false);
    assert.equal(p.gate.oodScore, null);
  } finally {
    open.dispose();
  }
});

test('`pneumo predict` on a mixed folder: exit 0, the refused ones counted, recorded and given no finding', async () => {
  const mixed = path.join(root, 'mixed');
  mkdirSync(mixed);
  const films = testFiles.slice(0, 4);
  for (const f of films) copyFileSync(f, path.join(mixed, path.basename(f)));
  for (const name of ['CT_small.dcm', 'MR_small.dcm', 'SC_rgb_small_odd.dcm'])
    copyFileSync(fixture('dicom', 'pydicom', name), path.join(mixed, name));
  const film = (await readImageWithMeta(films[0])).image;
  await writeGrayPng(syntheticLateral(film), path.join(mixed, 'lateral.png'));
  await writeGrayPng(naturalScene(320, 240, 3), path.join(mixed, 'natural.png'));
  const out = path.join(root, 'out');
  const dicomOut = path.join(root, 'dicom-out');
  const run = runPneumo(['predict', mixed, '--bundle', bundle, '--out', out, '--json']);
  assert.equal(run.status, 0, run.stderr);
  const summary = JSON.parse(run.stdout);
  const records = readFileSync(path.join(out, 'predictions.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as PredictionRecord);
  const byFile = new Map(records.map((r) => [path.basename(r.file), r]));
  assert.equal(records.length, 9, 'every input has its line, the colour DICOM included');
  assert.deepEqual(summary.failures, []);
  const filmsAssessed = (await Promise.all(films.map(header))).filter((m) => checkHeader(m).reasons.length === 0);
  assert.equal(summary.notAssessed, 9 - filmsAssessed.length);
  assert.deepEqual(summary.gate, { enabled: true, learned: true });
  assert.equal(summary.notAssessedReasons['out-of-distribution'] >= 4, true, JSON.stringify(summary));
  for (const name of ['CT_small.dcm', 'MR_small.dcm', 'SC_rgb_small_odd.dcm', 'lateral.png', 'natural.png']) {
    const r = byFile.get(name)!;
    assert.equal(r.status, 'not-assessed', name);
    assert.equal(r.decision, null, `${name}: no decision`);
    assert.equal(r.mask, null);
    assert.equal(r.rle, '-1');
  }
  const colour = byFile.get('SC_rgb_small_odd.dcm')!;
  assert.ok(colour.gate.reasons.includes('colour:RGB'), colour.gate.reasons.join());
  assert.equal(colour.probability, null, 'its pixels were never read');
  assert.equal(colour.overlay, null);
  assert.deepEqual(byFile.get('lateral.png')!.gate.reasons, ['out-of-distribution']);
  assert.ok(byFile.get('CT_small.dcm')!.gate.reasons.includes('modality:CT'));
  // submission.csv claims a label only for the assessed films.
  const submission = readFileSync(path.join(out, 'submission.csv'), 'utf8').trim().split('\n').slice(1);
  assert.equal(submission.length, filmsAssessed.length);
  // The DICOM outputs of a refused image: a Secondary Capture and an SR, never a SEG (not even when
  // negatives get an empty one).
  const ctRun = runPneumo([
    'predict',
    path.join(mixed, 'CT_small.dcm'),
    '--bundle',
    bundle,
    '--out',
    path.join(root, 'out-ct'),
    '--dicom-out',
    dicomOut,
    '--empty-seg',
  ]);
  assert.equal(ctRun.status, 0, ctRun.stderr);
  assert.match(
    ctRun.stdout,
    /0 with pneumothorax, 1 not assessed \(modality 1, age 1, film-size 1, out-of-distribution 1\)/,
  );
  const ct = byFile.get('CT_small.dcm')!;
  const stem = ct.id.replace(/[^A-Za-z0-9._-]/g, '_');
  assert.ok(existsSync(path.join(dicomOut, `${stem}.sr.dcm`)));
  assert.ok(existsSync(path.join(dicomOut, `${stem}.sc.dcm`)));
  assert.equal(existsSync(path.join(dicomOut, `${stem}.seg.dcm`)), false);
  assert.match(
    readFileSync(path.join(dicomOut, `${stem}.sr.dcm`), 'latin1'),
    /Not assessed[\s\S]*CT, not a radiograph/,
  );

  // --no-gate: the CT slice gets a verdict again, and every line says the gate was off.
  rmSync(path.join(mixed, 'SC_rgb_small_odd.dcm'));
  const open = runPneumo([
    'predict',
    mixed,
    '--bundle',
    bundle,
    '--out',
    path.join(root, 'out-open'),
    '--no-gate',
    '--json',
  ]);
  assert.equal(open.status, 0, open.stderr);
  assert.deepEqual(JSON.parse(open.stdout).gate, { enabled: false, learned: false });
  const openRecords = readFileSync(path.join(root, 'out-open', 'predictions.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as PredictionRecord);
  assert.ok(openRecords.every((r) => r.status === 'assessed' && r.gate.enabled === false));
  const usage = runPneumo(['predict', mixed, '--bundle', bundle, '--out', out, '--gate-rule', 'minAge=3']);
  assert.equal(usage.status, 2);
  assert.match(usage.stderr, /gate rule "minAge=3" is not KEY=VALUE/);
  // The bundle's manifest still reads (the gate field is optional and known).
  assert.ok((await readBundleManifest(bundle)).gate);
});
