import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import * as torch from '../../src/torch/index.js';
import { loadBundle, makeBundle, readBundleManifest, updateBundleThresholds } from '../../src/pipeline/bundle.js';
import { BundleError, validateManifest } from '../../src/pipeline/bundle-manifest.js';
import { modelInput } from '../../src/data/model-input.js';
import { readRunManifest } from '../../src/train/run-manifest.js';
import { readBundleImages, trainingImageIds } from '../../src/pipeline/bundle-images.js';
import { recordRunImages, tinyModelFactory, writeTinyRun } from './tiny-models.js';

const root = mkdtempSync(path.join(tmpdir(), 'pneumo-bundle-'));
test.after(() => rmSync(root, { recursive: true, force: true }));

async function freshBundle(name: string): Promise<string> {
  const classifierRun = path.join(root, `${name}-c`);
  const segmenterRun = path.join(root, `${name}-s`);
  await writeTinyRun(classifierRun, { role: 'classifier', inputSize: 32, threshold: 0.35 });
  await writeTinyRun(segmenterRun, { role: 'segmenter', inputSize: 64 });
  const out = path.join(root, name);
  await makeBundle({ classifierRun, segmenterRun, out });
  return out;
}

const editManifest = (dir: string, edit: (json: Record<string, unknown>) => void) => {
  const file = path.join(dir, 'bundle.json');
  const json = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
  edit(json);
  writeFileSync(file, JSON.stringify(json));
};

async function loadError(dir: string): Promise<BundleError> {
  const live = torch.liveTensors();
  const err = await loadBundle(dir, { modelFactory: tinyModelFactory }).then(
    () => assert.fail('the bundle loaded'),
    (e: unknown) => e,
  );
  assert.ok(err instanceof BundleError, String(err));
  assert.equal(torch.liveTensors(), live, 'a failed load leaks no tensor');
  return err;
}

test('a bundle from two runs: manifest, weights, provenance; it loads and reproduces the run weights', async () => {
  const dir = await freshBundle('good');
  const manifest = await readBundleManifest(dir);
  assert.equal(manifest.formatVersion, 2);
  assert.equal(manifest.classifier.architecture, 'tiny-classifier');
  assert.deepEqual(manifest.segmenter.input, modelInput({ width: 64, height: 64 }, { mean: 0, std: 1 }));
  assert.deepEqual(manifest.thresholds, { classifier: 0.35, pixel: 0.5, minArea: 0 });
  assert.match(manifest.thresholdSource.rule, /on validation, proposed by the classifier's training run/);
  assert.deepEqual((manifest.provenance.classifier as { split: unknown }).split, { validationFraction: 0.2, seed: 1 });
  assert.match(manifest.versions.libtorch, /^\d+\.\d+/);
  assert.match(manifest.versions.pneumo, /^\d+\.\d+\.\d+/);
  const live = torch.liveTensors();
  const bundle = await loadBundle(dir, { modelFactory: tinyModelFactory });
  torch.manualSeed(1); // the seed the run was made with
  const fresh = tinyModelFactory('tiny-classifier', { channels: 2 });
  for (const [name, t] of fresh.stateDict())
    assert.deepEqual(bundle.classifier.stateDict().get(name)!.toArray(), t.toArray(), name);
  fresh.dispose();
  bundle.dispose();
  assert.equal(torch.liveTensors(), live);
});

test('each kind of broken bundle gets one clear error', async () => {
  const dir = await freshBundle('broken');
  assert.match((await loadError(path.join(root, 'nowhere'))).message, /no such folder/);

  unlinkSync(path.join(dir, 'segmenter.safetensors'));
  assert.match((await loadError(dir)).message, /segmenter\.safetensors is missing/);

  const noJson = await freshBundle('no-json');
  unlinkSync(path.join(noJson, 'bundle.json'));
  assert.match((await loadError(noJson)).message, /no bundle\.json/);

  const badJson = await freshBundle('bad-json');
  writeFileSync(path.join(badJson, 'bundle.json'), '{"format": "pneumo-bundle",');
  assert.match((await loadError(badJson)).message, /bundle\.json is not valid JSON/);

  const fields = await freshBundle('fields');
  editManifest(fields, (j) => {
    (j.thresholds as Record<string, unknown>).pixel = 1.5;
    delete ((j.segmenter as Record<string, unknown>).input as Record<string, unknown>).normalization;
    (j.classifier as Record<string, unknown>).normalisation = { mean: 0, std: 1 };
  });
  const fieldError = await loadError(fields);
  assert.match(fieldError.message, /thresholds\.pixel is 1\.5/);
  assert.match(fieldError.message, /segmenter\.input\.normalization is missing/);
  assert.match(fieldError.message, /classifier\.normalisation is not a known field/, 'no alternative spellings');
  assert.equal(fieldError.problems.length, 3);

  const unknown = await freshBundle('unknown');
  editManifest(unknown, (j) => ((j.classifier as Record<string, unknown>).architecture = 'resnet-9000'));
  assert.match(
    (await loadError(unknown)).message,
    /classifier has an unknown architecture `resnet-9000`, supported: tiny-classifier, tiny-unet/,
  );

  const mismatch = await freshBundle('mismatch');
  editManifest(mismatch, (j) => ((j.segmenter as Record<string, unknown>).config = { channels: 3 }));
  const keys = await loadError(mismatch);
  assert.match(keys.message, /segmenter\.safetensors does not match the segmenter architecture `tiny-unet`/);
  assert.match(keys.message, /encoder\.weight \(model \[3, 1, 3, 3\], file \[2, 1, 3, 3\]\)/);

  const swapped = await freshBundle('swapped');
  editManifest(swapped, (j) => ((j.classifier as Record<string, unknown>).weights = 'segmenter.safetensors'));
  const swappedError = await loadError(swapped);
  assert.match(
    swappedError.message,
    /missing keys \(4\): conv\.weight, conv\.bias, fc\.weight, fc\.bias; unexpected keys \(4\): encoder\.bias, encoder\.weight, head\.bias, head\.weight/,
  );

  const truncated = await freshBundle('truncated');
  writeFileSync(path.join(truncated, 'classifier.safetensors'), Buffer.from([1, 2, 3]));
  assert.match(
    (await loadError(truncated)).message,
    /classifier\.safetensors: too short to be a safetensors file \(3 bytes\)/,
  );

  const version = await freshBundle('version');
  editManifest(version, (j) => (j.formatVersion = 99));
  assert.match((await loadError(version)).message, /format version 99/);
});

test('making a bundle over a non-empty folder needs force; thresholds update atomically', async () => {
  const dir = await freshBundle('update');
  await assert.rejects(
    makeBundle({ classifierRun: path.join(root, 'update-c'), segmenterRun: path.join(root, 'update-s'), out: dir }),
    /not empty \(use --force/,
  );
  await assert.rejects(
    makeBundle({ classifierRun: path.join(root, 'nowhere'), segmenterRun: path.join(root, 'update-s'), out: dir }),
    /no such run folder/,
  );
  const updated = await updateBundleThresholds(
    dir,
    { classifier: 0.6, pixel: 0.4, minArea: 1500 },
    { rule: 'test', split: 'a test set', images: 12, at: new Date().toISOString(), siimScore: 0.8 },
  );
  assert.deepEqual((await readBundleManifest(dir)).thresholds, updated.thresholds);
  assert.equal((await readBundleManifest(dir)).thresholdSource.rule, 'test');
  assert.equal((await readBundleManifest(dir)).thresholdSource.images, 12);
});

test("a version-1 run (run.json pneumo.run/1 + config.json) is read with today's loader defaults, and said once", async () => {
  const run = path.join(root, 'trainer-style');
  await writeTinyRun(run, { role: 'classifier', inputSize: 32 });
  writeFileSync(
    path.join(run, 'run.json'),
    JSON.stringify({
      format: 'pneumo.run/1',
      task: 'classifier',
      model: { name: 'tiny-classifier', config: { channels: 2 }, parameters: 41 },
      data: { folder: '/data/x', labels: null, valFraction: 0.25, splitSeed: 7 },
      threshold: { value: 0.42, objective: 'f1', from: 'validation, best epoch' },
      files: { best: 'best.safetensors' },
    }),
  );
  writeFileSync(
    path.join(run, 'config.json'),
    JSON.stringify({ task: 'classifier', model: 'tiny-classifier', size: 32, valFraction: 0.25, seed: 7 }),
  );
  const notices: string[] = [];
  const first = readRunManifest(run, (t) => notices.push(t));
  readRunManifest(run, (t) => notices.push(t));
  assert.equal(notices.length, 1, 'the version-1 notice is given once');
  assert.match(notices[0], /run\.json version 1 .* loader's defaults at 32 px/);
  assert.equal(first.formatVersion, 2);
  const out = path.join(root, 'trainer-style-bundle');
  const manifest = await makeBundle({ classifierRun: run, segmenterRun: path.join(root, 'good-s'), out });
  assert.deepEqual(manifest.classifier.input, modelInput({ width: 32, height: 32 }, { mean: 0.449, std: 0.226 }));
  assert.deepEqual(manifest.classifier.config, { channels: 2 });
  assert.equal(manifest.thresholds.classifier, 0.42);
  assert.match(manifest.thresholdSource.rule, /^f1 on validation/);
  assert.deepEqual(manifest.provenance.classifier.split, { validationFraction: 0.25, seed: 7 });
  assert.equal(manifest.provenance.classifier.data, '/data/x');
  (await loadBundle(out, { modelFactory: tinyModelFactory })).dispose();
});

test('a version-1 bundle (inputSize + normalization per model) loads with the loader defaults, said once', async () => {
  const dir = await freshBundle('legacy');
  editManifest(dir, (j) => {
    j.formatVersion = 1;
    for (const role of ['classifier', 'segmenter']) {
      const entry = j[role] as Record<string, unknown>;
      const input = entry.input as { width: number; height: number; normalization: unknown };
      entry.inputSize = { width: input.width, height: input.height };
      entry.normalization = input.normalization;
      delete entry.input;
    }
    j.thresholdSource = { method: 'classifier threshold sweep by pneumo evaluate', siimScore: 0.81 };
  });
  const notices: string[] = [];
  const json: unknown = JSON.parse(readFileSync(path.join(dir, 'bundle.json'), 'utf8'));
  const manifest = validateManifest(json, dir, (t) => notices.push(t));
  validateManifest(json, dir, (t) => notices.push(t));
  assert.equal(notices.length, 1);
  assert.match(notices[0], /version 1 \(made before the model-input contract\)/);
  assert.deepEqual(manifest.segmenter.input, modelInput({ width: 64, height: 64 }, { mean: 0, std: 1 }));
  assert.equal(manifest.thresholdSource.rule, 'classifier threshold sweep by pneumo evaluate');
  assert.equal(manifest.thresholdSource.siimScore, 0.81);
  (await loadBundle(dir, { modelFactory: tinyModelFactory })).dispose();
});

test('run.json: one reader, unknown and missing fields are one-line errors naming the file and the field', async () => {
  const run = path.join(root, 'strict-run');
  await writeTinyRun(run, { role: 'segmenter', inputSize: 32 });
  const file = path.join(run, 'run.json');
  const good = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
  writeFileSync(file, JSON.stringify({ ...good, normalisation: { mean: 0, std: 1 } }));
  assert.throws(() => readRunManifest(run), /strict-run\/run\.json: unknown field "normalisation"/);
  const { input: _dropped, ...withoutInput } = good;
  writeFileSync(file, JSON.stringify(withoutInput));
  assert.throws(() => readRunManifest(run), /run\.json: field "input" is missing/);
  writeFileSync(file, JSON.stringify({ ...good, input: { ...(good.input as object), resize: 'lanczos' } }));
  assert.throws(() => readRunManifest(run), /input\.resize is "lanczos", expected one of area, bilinear/);
  await assert.rejects(
    makeBundle({ classifierRun: path.join(root, 'good-c'), segmenterRun: run, out: path.join(root, 'strict-bundle') }),
    /run .*strict-run: run\.json: input\.resize/,
  );
});

test("the runs' image lists go to images.json, named in bundle.json by digest and counts; bundle.json stays small", async () => {
  const classifierRun = path.join(root, 'ids-c');
  const segmenterRun = path.join(root, 'ids-s');
  await writeTinyRun(classifierRun, { role: 'classifier', inputSize: 32 });
  await writeTinyRun(segmenterRun, { role: 'segmenter', inputSize: 64 });
  // A SIIM-sized list: 9,600 training ids of 60 characters.
  const ids = Array.from(
    { length: 12_000 },
    (_, i) => `1.2.276.0.7230010.3.1.4.8323329.${10_000 + i}.1517875165.878027`,
  );
  recordRunImages(classifierRun, ids.slice(0, 9600), ids.slice(9600));
  // The segmenter trains on the positives of the same training part.
  recordRunImages(segmenterRun, ids.slice(0, 2000), ids.slice(9600, 10_000));
  const out = path.join(root, 'with-ids');
  const manifest = await makeBundle({ classifierRun, segmenterRun, out });
  assert.deepEqual(
    { ...manifest.images, sha256: undefined },
    { file: 'images.json', sha256: undefined, training: 9600, validation: 2400 },
  );
  const text = readFileSync(path.join(out, 'images.json'), 'utf8');
  assert.equal(manifest.images!.sha256, createHash('sha256').update(text).digest('hex'));
  const bundleJson = readFileSync(path.join(out, 'bundle.json'), 'utf8');
  assert.ok(bundleJson.length < 20_000, `bundle.json is ${bundleJson.length} bytes`);
  assert.equal(bundleJson.includes(ids[0]), false, 'no id list in bundle.json');
  const read = await readBundleImages(out, (await readBundleManifest(out)).images!);
  assert.deepEqual(read.classifier, { training: ids.slice(0, 9600), validation: ids.slice(9600) });
  assert.equal(trainingImageIds(read).size, 9600);
  // An edited list no longer matches its digest.
  writeFileSync(path.join(out, 'images.json'), text.replace(ids[5], ids[11_000]));
  await assert.rejects(
    readBundleImages(out, manifest.images!),
    /images\.json does not match the SHA-256 in bundle\.json/,
  );
  // Runs that list no images (older ones) give a bundle without the field, which still loads.
  const plain = await freshBundle('no-ids');
  assert.equal((await readBundleManifest(plain)).images, undefined);
  assert.deepEqual(readdirSync(plain).sort(), ['bundle.json', 'classifier.safetensors', 'segmenter.safetensors']);
});
