import { test } from 'node:test';
import assert from 'node:assert/strict';
import { horizontalFlip } from '../../../src/data/transforms/flip.js';
import { shiftScaleRotate, RandomShiftScaleRotate } from '../../../src/data/transforms/affine.js';
import {
  gridDistortion,
  elasticDeform,
  RandomGridDistortion,
  RandomElastic,
  gridAxisMap,
} from '../../../src/data/transforms/distortion.js';
import { borderIndex } from '../../../src/data/transforms/sampling.js';
import type { Sample } from '../../../src/data/transforms/sample.js';
import { Rng } from '../../../src/data/random.js';
import { at, imageOf, maskAsSample, maskOf, testPattern } from './helpers.js';

const identity = { angle: 0, scale: 1, shiftX: 0, shiftY: 0 };

test('border indices: reflect is 101 (dcb|abcd|cba), replicate repeats the edge, constant is outside', () => {
  assert.deepEqual(
    [-3, -2, -1, 0, 3, 4, 5, 6].map((i) => borderIndex(i, 4, 'reflect')),
    [3, 2, 1, 0, 3, 2, 1, 0],
  );
  assert.deepEqual(
    [-2, 5].map((i) => borderIndex(i, 4, 'replicate')),
    [0, 3],
  );
  assert.deepEqual(
    [-1, 4, 2].map((i) => borderIndex(i, 4, 'constant')),
    [-1, -1, 2],
  );
});

test('flip mirrors columns, on image and mask alike, and twice is the identity', () => {
  const mask = testPattern(9);
  const sample = maskAsSample(mask);
  const once = horizontalFlip(sample);
  for (let y = 0; y < 9; y++)
    for (let x = 0; x < 9; x++) assert.equal(once.mask!.data[y * 9 + x], mask.data[y * 9 + 8 - x]);
  assert.deepEqual(Array.from(once.image.pixels), Array.from(once.mask!.data));
  const twice = horizontalFlip(once);
  assert.deepEqual(twice.mask!.data, mask.data);
  assert.deepEqual(twice.image.pixels, sample.image.pixels);
});

test('a 90 degree rotation turns a known pattern counter-clockwise, exactly (np.rot90)', () => {
  const n = 7;
  const img = imageOf(n, n, (x, y) => (y * n + x) / (n * n));
  const mask = testPattern(n);
  const out = shiftScaleRotate({ image: img, mask }, { ...identity, angle: 90 }, 'constant');
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      // rot90(A)[i][j] = A[j][n-1-i]
      assert.ok(Math.abs(out.image.pixels[i * n + j] - img.pixels[j * n + (n - 1 - i)]) < 1e-6);
      assert.equal(out.mask!.data[i * n + j], mask.data[j * n + (n - 1 - i)]);
    }
  }
});

test('a shift moves a known pixel by the given fraction, with the fill value where nothing comes in', () => {
  const img = imageOf(10, 10, (x, y) => (x === 2 && y === 3 ? 1 : 0));
  const out = shiftScaleRotate({ image: img, mask: null }, { ...identity, shiftX: 0.3, shiftY: -0.2 }, 'constant');
  assert.equal(at(out.image, 5, 1), 1);
  assert.equal(
    out.image.pixels.reduce((s, v) => s + v, 0),
    1,
  );
  const ramp = imageOf(10, 1, (x) => x / 10 + 0.05);
  const shifted = shiftScaleRotate({ image: ramp, mask: null }, { ...identity, shiftX: 0.2 }, 'constant');
  assert.deepEqual(
    Array.from(shifted.image.pixels.slice(0, 3)).map((v) => +v.toFixed(4)),
    [0, 0, 0.05],
  );
  const replicated = shiftScaleRotate({ image: ramp, mask: null }, { ...identity, shiftX: 0.2 }, 'replicate');
  assert.ok(Math.abs(replicated.image.pixels[0] - 0.05) < 1e-6);
});

test('scale 2 about the centre doubles distances from the centre', () => {
  // 9x9, centre (4, 4): source (5, 4) lands on (6, 4).
  const img = imageOf(9, 9, (x, y) => (x === 5 && y === 4 ? 1 : 0));
  const out = shiftScaleRotate({ image: img, mask: null }, { ...identity, scale: 2 }, 'constant');
  assert.equal(at(out.image, 6, 4), 1);
  assert.ok(Math.abs(at(out.image, 5, 4) - 0.5) < 1e-6);
});

test('grid distortion with unit cells and elastic with zero displacement are the identity; a uniform displacement shifts', () => {
  const mask = testPattern(16);
  const sample = maskAsSample(mask);
  const grid = gridDistortion(sample, { xSteps: [1, 1, 1, 1], ySteps: [1, 1, 1] });
  assert.deepEqual(grid.mask!.data, mask.data);
  for (let i = 0; i < mask.data.length; i++) assert.ok(Math.abs(grid.image.pixels[i] - mask.data[i]) < 1e-5);
  const zero = elasticDeform(sample, { grid: 3, dx: new Float32Array(9), dy: new Float32Array(9) });
  assert.deepEqual(zero.mask!.data, mask.data);
  const shift = elasticDeform(
    sample,
    { grid: 3, dx: new Float32Array(9).fill(-2), dy: new Float32Array(9).fill(1) },
    'constant',
  );
  // Output (x, y) reads source (x - 2, y + 1): content moves 2 right and 1 up.
  for (let y = 0; y < 15; y++)
    for (let x = 2; x < 16; x++) assert.equal(shift.mask!.data[y * 16 + x], mask.data[(y + 1) * 16 + x - 2]);
});

test('grid axis map: stretched first cell, ends pinned to the image', () => {
  // 9 pixels, 2 cells of 4; factors 3 and 1 -> source bounds 0, 6, 8.
  assert.deepEqual(Array.from(gridAxisMap(9, [3, 1])), [0, 1.5, 3, 4.5, 6, 6.5, 7, 7.5, 8]);
});

function checkSameGeometry(out: Sample): void {
  // Nearest picks the source pixel with bilinear weight >= 1/4, so mask 1 -> image >= 1/4 and mask 0 -> image <= 3/4.
  const { pixels } = out.image;
  const data = out.mask!.data;
  for (let i = 0; i < data.length; i++) {
    if (data[i]) assert.ok(pixels[i] >= 0.25 - 1e-6, `pixel ${i}: mask 1, image ${pixels[i]}`);
    else assert.ok(pixels[i] <= 0.75 + 1e-6, `pixel ${i}: mask 0, image ${pixels[i]}`);
  }
}

for (const [name, transform] of [
  ['shift-scale-rotate', new RandomShiftScaleRotate({ shift: 0.1, scale: 0.2, rotate: 30, border: 'reflect' })],
  ['grid distortion', new RandomGridDistortion({ steps: 5, limit: 0.4, border: 'constant' })],
  ['elastic', new RandomElastic({ grid: 5, magnitude: 0.03, border: 'replicate' })],
] as const) {
  test(`${name}: the mask gets the image's geometry, and the same seed gives the same result`, () => {
    const mask = testPattern(48);
    for (let seed = 0; seed < 5; seed++) {
      const out = transform.apply(maskAsSample(mask), new Rng(seed));
      checkSameGeometry(out);
      const again = transform.apply(maskAsSample(mask), new Rng(seed));
      assert.deepEqual(again.image.pixels, out.image.pixels);
      assert.deepEqual(again.mask!.data, out.mask!.data);
    }
    const a = transform.apply(maskAsSample(mask), new Rng(1));
    const b = transform.apply(maskAsSample(mask), new Rng(2));
    assert.notDeepEqual(a.image.pixels, b.image.pixels);
  });
}

test('mask sizes that differ from the image are rejected', () => {
  const sample = { image: imageOf(4, 4, () => 0), mask: maskOf(4, 3, () => false) };
  assert.throws(() => shiftScaleRotate(sample, identity), /mask is 4x3, image is 4x4/);
});
