import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { makeBundle, readBundleManifest } from '../../src/pipeline/bundle.js';
import { validateManifest } from '../../src/pipeline/bundle-manifest.js';
import { readBundleImages } from '../../src/pipeline/bundle-images.js';
import { recordRunImages, writeTinyRun } from './tiny-models.js';

const root = mkdtempSync(path.join(tmpdir(), 'pneumo-bundle-folds-'));
test.after(() => rmSync(root, { recursive: true, force: true }));

async function foldRuns(role: 'classifier' | 'segmenter', folds: number, inputSize = 32): Promise<string[]> {
  const runs: string[] = [];
  for (let k = 0; k < folds; k++) {
    const dir = path.join(root, `${role}-${inputSize}-fold${k}`);
    await writeTinyRun(dir, { role, inputSize, seed: k + 1 });
    // Fold k holds out image k; the others train.
    const ids = ['a', 'b', 'c'];
    recordRunImages(
      dir,
      ids.filter((_, i) => i !== k),
      [ids[k]],
    );
    runs.push(dir);
  }
  return runs;
}

test("an ensemble bundle lists each role's fold files in fold order, weights the first, and every image as trained on", async () => {
  const out = path.join(root, 'ensemble');
  const classifierRun = await foldRuns('classifier', 3);
  const segmenterRun = await foldRuns('segmenter', 3, 64);
  const manifest = await makeBundle({ classifierRun, segmenterRun, out });
  for (const role of ['classifier', 'segmenter'] as const) {
    assert.deepEqual(
      manifest[role].folds,
      [0, 1, 2].map((k) => `${role}-fold${k}.safetensors`),
    );
    assert.equal(manifest[role].weights, manifest[role].folds![0]);
    (manifest[role].folds ?? []).forEach((file, k) =>
      assert.ok(
        readFileSync(path.join(out, file)).equals(
          readFileSync(path.join(role === 'classifier' ? classifierRun[k] : segmenterRun[k], 'best.safetensors')),
        ),
      ),
    );
    assert.equal((manifest.provenance[role].folds as unknown[]).length, 3);
  }
  const images = await readBundleImages(out, manifest.images!);
  assert.deepEqual([...images.classifier!.training].sort(), ['a', 'b', 'c']);
  assert.deepEqual(images.classifier!.validation, [], 'every image trained some member');
  // A missing member is named.
  rmSync(path.join(out, 'segmenter-fold2.safetensors'));
  await assert.rejects(readBundleManifest(out), /segmenter-fold2\.safetensors is missing/);
});

test('one run per role writes no folds field; members that differ are refused', async () => {
  const single = await makeBundle({
    classifierRun: (await foldRuns('classifier', 1, 96))[0],
    segmenterRun: (await foldRuns('segmenter', 1, 128))[0],
    out: path.join(root, 'single'),
  });
  assert.equal(single.classifier.folds, undefined);
  assert.equal(single.classifier.weights, 'classifier.safetensors');
  const mixed = [...(await foldRuns('classifier', 1, 32)), ...(await foldRuns('classifier', 1, 160))];
  await assert.rejects(
    makeBundle({
      classifierRun: mixed,
      segmenterRun: await foldRuns('segmenter', 2, 64),
      out: path.join(root, 'mixed'),
    }),
    /differ in architecture, config or input; an ensemble's members must match/,
  );
});

test('an ensemble bundle made by makeBundle passes the strict check (the folds checks: test/pipeline/ensemble.test.ts)', async () => {
  const out = path.join(root, 'checked');
  await makeBundle({
    classifierRun: await foldRuns('classifier', 2, 192),
    segmenterRun: await foldRuns('segmenter', 2, 224),
    out,
  });
  const file = path.join(out, 'bundle.json');
  const original = readFileSync(file, 'utf8');
  assert.doesNotThrow(() => validateManifest(JSON.parse(original), out));
});
