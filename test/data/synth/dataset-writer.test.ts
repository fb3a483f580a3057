import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import dicomParser from 'dicom-parser';
import { decodeRleRows } from '../../../src/data/rle.js';
import { SynthOutputError, writeSynthDataset, type SynthSummary } from '../../../src/data/synth/dataset-writer.js';
import { resolveSynthOptions } from '../../../src/data/synth/options.js';
import { renderCase } from '../../../src/data/synth/radiograph.js';

const root = mkdtempSync(path.join(tmpdir(), 'pneumo-synth-'));
after(() => rmSync(root, { recursive: true, force: true }));

const SIZE = 256;
const N = 24;
// Multi-part and duplicate rates raised so that 24 images surely hold some of each.
const request = { n: N, size: SIZE, seed: 3, multiPartRate: 0.6, duplicateRate: 0.15, implausibleAgeRate: 0.05 };

function hashTree(dir: string): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (d: string) => {
    for (const name of readdirSync(d)) {
      const full = path.join(d, name);
      if (statSync(full).isDirectory()) walk(full);
      else out.set(path.relative(dir, full), createHash('sha256').update(readFileSync(full)).digest('hex'));
    }
  };
  walk(dir);
  return out;
}

interface CsvRow {
  id: string;
  rle: string;
}

function readCsv(dir: string): { header: string; rows: CsvRow[]; text: string } {
  const text = readFileSync(path.join(dir, 'train-rle.csv'), 'utf8');
  const lines = text.split('\n');
  assert.equal(lines.pop(), '', 'the file ends with a newline');
  const [header, ...body] = lines;
  return {
    header,
    text,
    rows: body.map((line) => {
      const comma = line.indexOf(',');
      return { id: line.slice(0, comma), rle: line.slice(comma + 1) };
    }),
  };
}

const inProcess = path.join(root, 'a');
const summary: SynthSummary = await writeSynthDataset(inProcess, { ...request, workers: 0 });

test('the same seed gives the same bytes, whether rendered in-process or by worker threads', async () => {
  const threaded = path.join(root, 'b');
  await writeSynthDataset(threaded, { ...request, workers: 2 });
  const a = hashTree(inProcess),
    b = hashTree(threaded);
  assert.equal(a.size, N + 2);
  assert.deepEqual([...b.entries()].sort(), [...a.entries()].sort());
  const otherSeed = path.join(root, 'c');
  await writeSynthDataset(otherSeed, { ...request, n: 2, seed: 4, workers: 0 });
  assert.notEqual(hashTree(otherSeed).get('train-rle.csv'), a.get('train-rle.csv'));
});

test('train-rle.csv is in the real format and agrees with synth.json', () => {
  const { header, rows } = readCsv(inProcess);
  assert.equal(header, 'ImageId, EncodedPixels');
  for (const row of rows) assert.match(row.rle, /^ (-1|\d+( \d+)*)$/, `row of ${row.id}`);
  const c = summary.composition;
  assert.equal(rows.length, c.csvRows);
  const ids = new Set(rows.map((r) => r.id));
  assert.equal(ids.size, N);
  const positiveIds = new Set(rows.filter((r) => r.rle !== ' -1').map((r) => r.id));
  assert.equal(positiveIds.size, c.positives);
  // The requested 22% (to within the rounding of a few images, see composition.ts).
  assert.ok(Math.abs(c.positives - 0.22 * N) <= 2, `${c.positives} positives of ${N}`);
  const counts = new Map<string, number>();
  for (const r of rows) counts.set(r.id, (counts.get(r.id) ?? 0) + 1);
  const lines = rows.map((r) => `${r.id},${r.rle}`);
  const duplicateLines = lines.length - new Set(lines).size;
  assert.ok(duplicateLines >= 1, 'some exact duplicate rows');
  assert.equal(duplicateLines, c.duplicateRows);
  const multiRow = [...positiveIds].filter((id) => new Set(rows.filter((r) => r.id === id).map((r) => r.rle)).size > 1);
  assert.ok(multiRow.length >= 1, 'some images with several mask rows');
  assert.equal(multiRow.length, c.multiRowImages);
  assert.equal(c.sex.M + c.sex.F, N);
  assert.equal(c.view.PA + c.view.AP, N);
  // SIIM's proportions: 55% male, 60% PA.
  assert.ok(Math.abs(c.sex.M - 0.55 * N) <= 3, `${c.sex.M} male`);
  assert.ok(Math.abs(c.view.PA - 0.6 * N) <= 3, `${c.view.PA} PA`);
  assert.equal(summary.images.length, N);
  assert.equal(summary.failures.length, 0);
  const onDisk = JSON.parse(readFileSync(path.join(inProcess, 'synth.json'), 'utf8')) as SynthSummary;
  assert.deepEqual(onDisk, JSON.parse(JSON.stringify(summary)));
});

test('the rows of an image OR-ed together are exactly its pneumothorax, and the DICOM header matches', () => {
  const { rows } = readCsv(inProcess);
  const options = resolveSynthOptions(request);
  summary.images.forEach((image, index) => {
    const mine = [...new Set(rows.filter((r) => r.id === image.imageId).map((r) => r.rle))];
    const decoded = decodeRleRows(mine, SIZE, SIZE, image.imageId);
    const rendered = renderCase(options, index);
    const expected = new Uint8Array(SIZE * SIZE);
    for (const part of rendered.parts) for (let k = 0; k < expected.length; k++) expected[k] |= part.data[k];
    assert.deepEqual(decoded.data, expected, `mask of image ${index}`);
    assert.equal(mine.length, image.positive ? rendered.parts.length : 1);

    const file = path.join(inProcess, image.file);
    assert.match(image.file, /^dicom-images-train\/[\d.]+\/[\d.]+\/[\d.]+\.dcm$/);
    const ds = dicomParser.parseDicom(readFileSync(file));
    assert.equal(ds.string('x00080018'), image.imageId);
    assert.equal(path.basename(file, '.dcm'), image.imageId);
    assert.equal(path.basename(path.dirname(file)), ds.string('x0020000e'));
    assert.equal(path.basename(path.dirname(path.dirname(file))), ds.string('x0020000d'));
    assert.equal(ds.string('x00100040'), image.sex);
    assert.equal(ds.string('x00101010'), image.age);
    assert.equal(ds.string('x00185101'), image.view);
  });
  assert.ok(summary.composition.age.implausible >= 1);
  assert.ok(summary.composition.age.max > 110);
});

test('an occupied folder is refused unless forced, and forcing replaces only the dataset', async () => {
  const dir = path.join(root, 'd');
  await writeSynthDataset(dir, { ...request, n: 3, workers: 0 });
  writeFileSync(path.join(dir, 'notes.txt'), 'keep me');
  await assert.rejects(writeSynthDataset(dir, { ...request, n: 2, workers: 0 }), SynthOutputError);
  const replaced = await writeSynthDataset(dir, { ...request, n: 2, workers: 0, force: true });
  assert.equal(replaced.composition.images, 2);
  assert.equal(readFileSync(path.join(dir, 'notes.txt'), 'utf8'), 'keep me');
  // The third image of the first run is gone with its folder.
  assert.equal([...hashTree(dir).keys()].filter((f) => f.endsWith('.dcm')).length, 2);
});

test('synth.json records the preset, the area distribution, and per image the difficulty and the confounders', () => {
  const written = JSON.parse(readFileSync(path.join(inProcess, 'synth.json'), 'utf8')) as SynthSummary;
  assert.equal(written.parameters.preset, 'siim');
  assert.equal(written.parameters.areaDistribution, 'siim');
  assert.deepEqual(written.parameters.lineContrast, resolveSynthOptions({}).lineContrast);
  const options = resolveSynthOptions(request);
  for (const image of written.images) {
    const index = written.images.indexOf(image);
    const rendered = renderCase(options, index);
    assert.equal(image.chestDrain !== null, rendered.confounders.chestDrain !== null);
    assert.equal(image.ecgLeads, rendered.confounders.ecgLeads.length);
    assert.equal(image.skinFold !== null, rendered.confounders.skinFold !== null);
    if (image.positive) assert.ok(image.lineContrast !== null && image.textureLoss !== null);
    else assert.equal(image.lineContrast, null);
  }
  const c = written.composition;
  const drains = written.images.filter((i) => i.chestDrain !== null);
  assert.equal(c.confounders.chestDrain.positive + c.confounders.chestDrain.negative, drains.length);
  assert.ok(c.maskAreaFraction && c.maskAreaFraction.p25 <= c.maskAreaFraction.median);
});
