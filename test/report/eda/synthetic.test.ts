// EDA on a synthetic dataset whose composition is known from its generator (synth.json): every count
// the EDA reports must equal what was generated.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { writeSynthDataset } from '../../../src/data/synth/dataset-writer.js';
import { runEda } from '../../../src/report/eda/run-eda.js';
import { edaJson } from '../../../src/report/eda/eda-result.js';

const dir = mkdtempSync(path.join(tmpdir(), 'pneumo-eda-synth-'));
after(() => rmSync(dir, { recursive: true, force: true }));

test('EDA numbers equal the known composition of a synthetic dataset', async () => {
  // Rates raised so that 60 images hold duplicates, multi-part masks and implausible ages.
  const summary = await writeSynthDataset(dir, {
    n: 60,
    size: 128,
    seed: 9,
    duplicateRate: 0.1,
    multiPartRate: 0.5,
    implausibleAgeRate: 0.05,
    transferSyntax: 'explicit',
  });
  const c = summary.composition;
  assert.ok(
    c.duplicateRows > 0 && c.multiRowImages > 0 && c.age.implausible > 0,
    'the draw holds every feature under test',
  );

  const eda = edaJson(await runEda({ dataDir: dir }));
  assert.equal(eda.images, c.images);
  assert.equal(eda.rows, c.csvRows);
  assert.equal(eda.duplicateRows, c.duplicateRows);
  assert.equal(eda.imagesWithDuplicateRows, new Set(c.duplicateImageIds).size);
  assert.equal(eda.positive, c.positives);
  assert.equal(eda.negative, c.negatives);
  assert.equal(eda.positiveRate, c.positives / c.images);
  const multiRow = eda.rowsPerPositiveImage.filter((r) => r.maskRows > 1).reduce((n, r) => n + r.images, 0);
  assert.equal(multiRow, c.multiRowImages);
  assert.equal(eda.maskShare!.count, c.positives);
  assert.ok(Math.abs(eda.maskShare!.min - c.maskAreaFraction!.min) < 1e-3);
  assert.ok(Math.abs(eda.maskShare!.max - c.maskAreaFraction!.max) < 1e-3);
  // The default (siim) preset's masks are set beside SIIM-ACR's.
  const vs = eda.maskShareVsSiim!;
  assert.equal(vs.images, c.positives);
  assert.ok(Math.abs(vs.bands.reduce((s, b) => s + b.dataset, 0) - 1) < 1e-9);
  assert.ok(Math.abs(vs.percentiles.find((p) => p.percentile === 50)!.dataset - c.maskAreaFraction!.median) < 1e-4);

  const h = eda.headers!;
  assert.equal(h.readable, c.images);
  assert.deepEqual(h.unreadable, []);
  assert.equal(h.sex.M, c.sex.M);
  assert.equal(h.sex.F, c.sex.F);
  assert.equal(h.view.PA, c.view.PA);
  assert.equal(h.view.AP, c.view.AP);
  assert.deepEqual(h.age.implausible.map((a) => a.imageId).sort(), [...c.age.implausibleImageIds].sort());
  assert.equal(h.age.all!.min, c.age.min);
  assert.deepEqual(h.modality, { CR: c.images });
  assert.deepEqual(h.imageSize, { '128x128': c.images });
  assert.deepEqual(h.imagesWithoutLabel, []);
  assert.deepEqual(h.labelsWithoutImage, []);
});
