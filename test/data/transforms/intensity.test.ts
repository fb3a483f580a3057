import { test } from 'node:test';
import assert from 'node:assert/strict';
import { adjustGamma, brightnessContrast, RandomGamma } from '../../../src/data/transforms/intensity.js';
import { normalizeImage, normalizeInto } from '../../../src/data/transforms/normalize.js';
import { Rng } from '../../../src/data/random.js';
import { maskOf } from './helpers.js';

const image = { width: 4, height: 1, pixels: Float32Array.of(0.1, 0.3, 0.5, 0.7) };
const close = (a: ArrayLike<number>, b: number[]) =>
  b.forEach((v, i) => assert.ok(Math.abs(a[i] - v) < 1e-6, `${i}: ${a[i]} vs ${v}`));

test('contrast stretches about the mean, brightness adds, results clip to [0, 1], the mask is untouched', () => {
  const mask = maskOf(4, 1, (x) => x > 1);
  const out = brightnessContrast({ image, mask }, { brightness: 0.1, contrast: 2 });
  // mean 0.4: (v - 0.4) * 2 + 0.4 + 0.1
  close(out.image.pixels, [0, 0.3, 0.7, 1]);
  assert.equal(out.mask, mask);
});

test('gamma is a power law on [0, 1] and draws log-uniformly inside its range', () => {
  close(adjustGamma({ image, mask: null }, 2).image.pixels, [0.01, 0.09, 0.25, 0.49]);
  // The tabulated curve stays within 3e-4 of Math.pow, also near 0 where x^0.8 is steepest.
  const edge = Float32Array.of(0, 1e-5, 3e-4, 0.001, 0.37, 0.999, 1, 1.5, -0.2);
  const out = adjustGamma({ image: { width: 9, height: 1, pixels: edge }, mask: null }, 0.8).image.pixels;
  edge.forEach((v, i) =>
    assert.ok(Math.abs(out[i] - Math.pow(Math.min(1, Math.max(0, v)), 0.8)) < 3e-4, `${v}: ${out[i]}`),
  );
  const g = new RandomGamma([0.5, 2]);
  const rng = new Rng(4);
  let below = 0;
  for (let i = 0; i < 2000; i++) {
    const v = g.draw(rng);
    assert.ok(v >= 0.5 && v <= 2);
    if (v < 1) below++;
  }
  assert.ok(Math.abs(below / 2000 - 0.5) < 0.05);
});

test('normalisation is (v - mean) / std, also into a batch slot', () => {
  close(normalizeImage(image, { mean: 0.5, std: 0.2 }).pixels, [-2, -1, 0, 1]);
  const batch = new Float32Array(6).fill(9);
  normalizeInto(image.pixels, batch, 1, { mean: 0.1, std: 0.1 });
  close(batch, [9, 0, 2, 4, 6, 9]);
  assert.throws(() => normalizeImage(image, { mean: 0, std: 0 }), /positive std/);
});
