// The synthetic dataset read back through the project's own readers: the dataset index (labels +
// DICOM discovery), readDicomHeader and readImage. What they report must be what synth.json says.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import dicomParser from 'dicom-parser';
import sharp from 'sharp';
import { indexDataset, itemMask } from '../../../src/data/dataset.js';
import { readDicomHeader } from '../../../src/data/dicom/index.js';
import { readImageWithMeta } from '../../../src/data/image-io.js';
import { writeSynthDataset } from '../../../src/data/synth/dataset-writer.js';
import { resolveSynthOptions } from '../../../src/data/synth/options.js';
import { renderCase } from '../../../src/data/synth/radiograph.js';

async function referenceJpegDecode(file: string): Promise<Uint8Array> {
  const ds = dicomParser.parseDicom(readFileSync(file));
  const fragment = dicomParser.readEncapsulatedPixelDataFromFragments(ds, ds.elements.x7fe00010, 0, 1);
  return new Uint8Array(await sharp(Buffer.from(fragment)).extractChannel(0).raw().toBuffer());
}

const root = mkdtempSync(path.join(tmpdir(), 'pneumo-synth-read-'));
after(() => rmSync(root, { recursive: true, force: true }));

const SIZE = 256;
const request = { n: 16, size: SIZE, seed: 21, multiPartRate: 0.6, duplicateRate: 0.2, workers: 0 };
const jpegDir = path.join(root, 'jpeg');
const explicitDir = path.join(root, 'explicit');
const summary = await writeSynthDataset(jpegDir, request);
await writeSynthDataset(explicitDir, { ...request, n: 4, transferSyntax: 'explicit' });

test('the dataset index finds every image, every label, the duplicates and the masks', async () => {
  const index = await indexDataset(jpegDir, { width: SIZE, height: SIZE });
  const c = summary.composition;
  assert.equal(index.items.length, c.images);
  assert.equal(index.positives, c.positives);
  assert.equal(index.negatives, c.negatives);
  assert.equal(index.duplicateRowCount, c.duplicateRows);
  assert.ok(c.duplicateRows >= 1 && c.multiRowImages >= 1);
  assert.deepEqual(index.imagesWithoutLabels, []);
  assert.deepEqual(index.labelsWithoutImages, []);
  assert.deepEqual(index.malformedRows, []);
  assert.deepEqual(index.mixedImages, []);
  const options = resolveSynthOptions(request);
  index.items.forEach((item, i) => {
    assert.equal(item.imageId, summary.images[i].imageId);
    const rendered = renderCase(options, i);
    const expected = new Uint8Array(SIZE * SIZE);
    for (const part of rendered.parts) for (let k = 0; k < expected.length; k++) expected[k] |= part.data[k];
    assert.deepEqual(itemMask(item, SIZE, SIZE).data, expected, `mask of ${item.imageId}`);
  });
});

test('readDicomHeader and readImage read the header as written and the pixels as rendered', async () => {
  const options = resolveSynthOptions(request);
  for (const [dir, exact] of [
    [jpegDir, false],
    [explicitDir, true],
  ] as const) {
    for (let i = 0; i < 4; i++) {
      const image = summary.images[i];
      const file = path.join(dir, image.file);
      const header = await readDicomHeader(file);
      assert.equal(header.imageId, image.imageId);
      assert.equal(header.patientSex, image.sex);
      assert.equal(header.patientAge, Number(image.age));
      assert.equal(header.viewPosition, image.view);
      assert.equal(header.modality, 'CR');
      assert.equal(header.bodyPartExamined, 'CHEST');
      assert.equal(header.photometricInterpretation, 'MONOCHROME2');
      assert.deepEqual(header.pixelSpacing, [image.pixelSpacing, image.pixelSpacing]);
      assert.equal(header.transferSyntaxUid, exact ? '1.2.840.10008.1.2.1' : '1.2.840.10008.1.2.4.50');
      const { image: gray, meta } = await readImageWithMeta(file);
      assert.equal(meta?.rows, SIZE);
      assert.equal(gray.width, SIZE);
      // The stored values: our rendered pixels, or for JPEG what a reference decoder (libjpeg-turbo
      // through sharp) makes of the fragment. Without a VOI window in the header the reader stretches
      // the stored range to [0, 1], so stretch those alike.
      const stored = exact ? renderCase(options, i).pixels : await referenceJpegDecode(file);
      const lo = stored.reduce((a, v) => Math.min(a, v), 255);
      const hi = stored.reduce((a, v) => Math.max(a, v), 0);
      let error = 0;
      for (let k = 0; k < stored.length; k++) error += Math.abs(gray.pixels[k] - (stored[k] - lo) / (hi - lo)) * 255;
      const mean = error / stored.length;
      // Two JPEG decoders may round their inverse DCTs differently, by a level here and there.
      assert.ok(mean < (exact ? 1e-3 : 1), `${file}: mean absolute error ${mean}`);
    }
  }
});
