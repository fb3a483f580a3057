// The bundle's reference distributions: added to an existing bundle and read back, checked by digest,
// bad values refused, an unknown or malformed entry refused by the manifest's check; a bundle without
// one still loads and monitoring says why it has no drift figures.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import {
  BUNDLE_REFERENCE_FILE,
  readReferenceDistribution,
  writeReferenceDistribution,
} from '../../src/pipeline/bundle-reference.js';
import { readBundleManifest } from '../../src/pipeline/bundle.js';
import { BundleError, validateManifest } from '../../src/pipeline/bundle-manifest.js';
import { loadReference } from '../../src/serve/monitoring/monitor.js';
import { makeServeBundle } from '../serve/serve-support.js';

const root = mkdtempSync(path.join(tmpdir(), 'pneumo-bundle-reference-'));
let bundleDir: string;
test.before(async () => {
  bundleDir = await makeServeBundle(root);
});
test.after(() => rmSync(root, { recursive: true, force: true }));

test('a bundle without a reference loads, and monitoring says why it shows no drift', async () => {
  assert.equal((await readBundleManifest(bundleDir)).reference, undefined);
  const { reference, note } = await loadReference(bundleDir);
  assert.equal(reference, null);
  assert.match(String(note), /no reference distribution.*evaluate --write-bundle/);
});

test('written into an existing bundle, named in bundle.json with its digest, read back whole', async () => {
  const values = { probabilities: [0.1, 0.25, 0.9], oodScores: [2, 3.5, 40], source: 'by hand' };
  const entry = await writeReferenceDistribution(bundleDir, values);
  const manifest = await readBundleManifest(bundleDir);
  assert.deepEqual(manifest.reference, entry);
  assert.deepEqual([entry.file, entry.n, entry.ood, entry.source], [BUNDLE_REFERENCE_FILE, 3, true, 'by hand']);
  assert.deepEqual(await readReferenceDistribution(bundleDir, entry), values);
  assert.deepEqual((await loadReference(bundleDir)).reference, values);
  // Without OOD scores.
  const plain = await writeReferenceDistribution(bundleDir, { probabilities: [0.5], oodScores: null, source: 'x' });
  assert.equal(plain.ood, false);
  // A changed file is refused by digest; monitoring goes on without drift figures and says why.
  appendFileSync(path.join(bundleDir, BUNDLE_REFERENCE_FILE), ' ');
  await assert.rejects(readReferenceDistribution(bundleDir, plain), /does not match the SHA-256/);
  assert.match(String((await loadReference(bundleDir)).note), /cannot be used: .*does not match/);
});

test('bad values and malformed entries are refused with the reason', async () => {
  await assert.rejects(
    writeReferenceDistribution(bundleDir, { probabilities: [0.2, 1.5], oodScores: null, source: 'x' }),
    (err: Error) => err instanceof BundleError && /probability 1 is 1.5, not in \[0, 1\]/.test(err.message),
  );
  await assert.rejects(
    writeReferenceDistribution(bundleDir, { probabilities: [], oodScores: null, source: 'x' }),
    /no probabilities/,
  );
  const manifest = JSON.parse(readFileSync(path.join(bundleDir, 'bundle.json'), 'utf8'));
  assert.throws(
    () =>
      validateManifest(
        { ...manifest, reference: { file: '../x.json', sha256: 'ab', n: 1, ood: false, source: '' } },
        'b',
      ),
    /reference is not \{file, sha256, n, ood, source\}/,
  );
  assert.throws(
    () => validateManifest({ ...manifest, reference: { ...manifest.reference, extra: 1 } }, 'b'),
    /reference\.extra is not a known field/,
  );
});
