import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  buildAugmentation,
  Compose,
  DEFAULT_AUGMENT,
  parseAugmentConfig,
} from '../../../src/data/transforms/compose.js';
import { HorizontalFlip } from '../../../src/data/transforms/flip.js';
import { Rng } from '../../../src/data/random.js';
import { maskAsSample, testPattern } from './helpers.js';

test('a step runs with its probability', () => {
  const compose = new Compose([{ p: 0.3, transform: new HorizontalFlip() }]);
  const mask = testPattern(8);
  const rng = new Rng(11);
  let changed = 0;
  for (let i = 0; i < 4000; i++) {
    const out = compose.apply(maskAsSample(mask), rng);
    if (out.mask!.data.some((v, k) => v !== mask.data[k])) changed++;
  }
  assert.ok(Math.abs(changed / 4000 - 0.3) < 0.03, `applied ${changed} of 4000`);
});

test('the default pipeline is deterministic by seed and keeps image and mask sizes', () => {
  const aug = buildAugmentation(DEFAULT_AUGMENT);
  assert.deepEqual(aug.names, ['hflip', 'shiftScaleRotate', 'gridDistortion', 'brightnessContrast', 'gamma']);
  const mask = testPattern(32);
  const a = aug.apply(maskAsSample(mask), Rng.derive(5, 0, 3));
  const b = aug.apply(maskAsSample(mask), Rng.derive(5, 0, 3));
  assert.deepEqual(a.image.pixels, b.image.pixels);
  assert.deepEqual(a.mask!.data, b.mask!.data);
  assert.equal(a.image.pixels.length, 32 * 32);
  const differs = [1, 2, 3, 4].some((i) =>
    aug.apply(maskAsSample(mask), Rng.derive(5, 0, i)).image.pixels.some((v, k) => v !== a.image.pixels[k]),
  );
  assert.ok(differs);
});

test('config parsing: numbers are probabilities, bad names and ranges are errors naming the field', () => {
  assert.deepEqual(parseAugmentConfig({ hflip: 0.5, gamma: false, elastic: { p: 0.1, grid: 4 } }), {
    hflip: { p: 0.5 },
    elastic: { p: 0.1, grid: 4 },
  });
  assert.throws(() => parseAugmentConfig({ hflp: 0.5 }), /unknown augmentation `hflp`/);
  assert.throws(() => parseAugmentConfig({ hflip: 1.5 }), /augment\.hflip\.p: expected a probability/);
  assert.throws(
    () => parseAugmentConfig({ shiftScaleRotate: { p: 1, rotate: 400 } }),
    /shiftScaleRotate\.rotate: expected a number in \[0, 180\]/,
  );
  assert.throws(() => parseAugmentConfig({ elastic: { p: 1, grid: 2.5 } }), /elastic\.grid: expected an integer/);
  assert.throws(() => parseAugmentConfig({ gamma: { p: 1, border: 'reflect' } }), /gamma: unknown setting `border`/);
  assert.throws(() => parseAugmentConfig({ gamma: { p: 1, low: 2, high: 1 } }), /low \(2\) is above high \(1\)/);
  assert.throws(() => parseAugmentConfig({ gridDistortion: { steps: 4 } }), /probability `p` is missing/);
});
