// The model-input contract: training's loader and the Predictor make the same tensor for an image, to
// the bit, at the sizes the plans use and for a non-square film; the contract's fields are checked.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { BatchLoader } from '../../src/data/loader.js';
import { readImage } from '../../src/data/image-io.js';
import { checkModelInput, inputPixels, modelInput, ModelInputError } from '../../src/data/model-input.js';
import { preprocessBatch } from '../../src/pipeline/preprocess.js';
import * as torch from '../../src/torch/index.js';

const FIXTURES = path.resolve('test/fixtures');
const SIIM = path.join(FIXTURES, 'siim-sample');
const siimFilm = path.join(SIIM, readdirSync(SIIM).filter((f) => f.endsWith('.dcm'))[0]);
// 1976 x 1576, MONOCHROME1 through a Modality LUT: a real non-square chest film.
const NON_SQUARE = path.join(FIXTURES, 'dicom/pydicom/CR-ModalitySequenceLUT.dcm');

async function loaderPlane(file: string, size: number | { width: number; height: number }): Promise<Float32Array> {
  const loader = await BatchLoader.open([{ imageId: 'x', path: file, label: 0, rleRows: ['-1'] }], {
    size,
    batchSize: 1,
    workers: 1,
    sampling: 'sequential',
  });
  try {
    for await (const batch of loader.epoch(0)) {
      assert.deepEqual(batch.failures, []);
      return batch.images;
    }
    throw new Error('the loader gave no batch');
  } finally {
    await loader.close();
  }
}

function predictorPlane(image: Awaited<ReturnType<typeof readImage>>, width: number, height: number): Float32Array {
  return torch.scope(() => preprocessBatch([image], modelInput({ width, height })).toFloat32Array());
}

function differences(a: Float32Array, b: Float32Array): number {
  assert.equal(a.length, b.length);
  let n = 0;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) n++;
  return n;
}

test("the loader's tensor is the Predictor's to the bit on a SIIM film at 256, 320, 384 and 512 px", async () => {
  const image = await readImage(siimFilm);
  assert.equal(image.width, 1024);
  for (const size of [256, 320, 384, 512]) {
    const fromLoader = await loaderPlane(siimFilm, size);
    const fromPredictor = predictorPlane(image, size, size);
    assert.equal(differences(fromLoader, fromPredictor), 0, `${size} px`);
  }
});

test("the loader's tensor is the Predictor's to the bit on a non-square film, square and non-square inputs", async () => {
  const image = await readImage(NON_SQUARE);
  assert.notEqual(image.width, image.height);
  for (const size of [
    { width: 320, height: 320 },
    { width: 384, height: 256 },
  ]) {
    const fromLoader = await loaderPlane(NON_SQUARE, size);
    const fromPredictor = predictorPlane(image, size.width, size.height);
    assert.equal(differences(fromLoader, fromPredictor), 0, `${size.width}x${size.height}`);
  }
});

test('the contract rounds to 65535 levels and normalises as recorded', () => {
  const image = { width: 2, height: 1, pixels: Float32Array.from([0.123456789, 1.5]) };
  const input = modelInput({ width: 2, height: 1 }, { mean: 0.5, std: 0.25 });
  const pixels = inputPixels(image, input);
  assert.equal(pixels[0], Math.fround(Math.round(0.123456789 * 65535) / 65535));
  assert.equal(pixels[1], 1, 'clamped to [0, 1]');
  const plane = torch.scope(() => preprocessBatch([image], input).toFloat32Array());
  assert.ok(Math.abs(plane[0] - (pixels[0] - 0.5) / 0.25) < 1e-6);
  assert.ok(Math.abs(plane[1] - 2) < 1e-6);
});

test('a recorded contract with an unknown, missing or wrong field is a one-line error naming it', () => {
  const good = modelInput({ width: 64, height: 32 });
  assert.deepEqual(checkModelInput(JSON.parse(JSON.stringify(good)), 'x'), good);
  const cases: [unknown, RegExp][] = [
    [{ ...good, resize: 'lanczos' }, /x\.resize is "lanczos", expected one of area, bilinear/],
    [{ ...good, version: 2 }, /x\.version is 2; this pneumo reads version 1/],
    [{ ...good, gamma: 1 }, /x\.gamma is not a field of model input version 1/],
    [{ ...good, display: 'linear' }, /x\.display is "linear"/],
    [{ ...good, normalization: { mean: 0, std: 0 } }, /x\.normalization: .*positive std/],
    [(({ levels: _levels, ...rest }) => rest)(good), /x\.levels is missing/],
  ];
  for (const [value, message] of cases)
    assert.throws(
      () => checkModelInput(value, 'x'),
      (err: Error) => {
        assert.ok(err instanceof ModelInputError);
        assert.match(err.message, message);
        assert.ok(!err.message.includes('\n'));
        return true;
      },
    );
});
