import { test } from 'node:test';
import assert from 'node:assert/strict';
import { resizeImage, resizeMask, resizePlane } from '../../../src/data/transforms/resize.js';
import { imageOf, maskOf } from './helpers.js';

test('area downscale by an integer factor is the block mean', () => {
  const img = imageOf(8, 8, (x, y) => ((x * 7 + y * 13) % 11) / 10);
  const out = resizeImage(img, 2, 2, 'area');
  for (let by = 0; by < 2; by++) {
    for (let bx = 0; bx < 2; bx++) {
      let sum = 0;
      for (let y = by * 4; y < by * 4 + 4; y++) for (let x = bx * 4; x < bx * 4 + 4; x++) sum += img.pixels[y * 8 + x];
      assert.ok(Math.abs(out.pixels[by * 2 + bx] - sum / 16) < 1e-6);
    }
  }
});

test('area downscale by different whole factors per axis', () => {
  const img = imageOf(8, 6, (x, y) => (x * 3 + y * 7) / 100);
  const out = resizeImage(img, 2, 3, 'area');
  for (let by = 0; by < 3; by++) {
    for (let bx = 0; bx < 2; bx++) {
      let sum = 0;
      for (let y = by * 2; y < by * 2 + 2; y++) for (let x = bx * 4; x < bx * 4 + 4; x++) sum += img.pixels[y * 8 + x];
      assert.ok(Math.abs(out.pixels[by * 2 + bx] - sum / 8) < 1e-6);
    }
  }
});

test('area downscale by a fractional factor weighs the straddling pixel by its overlap', () => {
  // 3 -> 2: each output covers 1.5 source pixels; the middle one is split in half.
  const out = resizePlane(Float32Array.of(0.3, 0.6, 0.9), 3, 1, 2, 1, 'area');
  assert.ok(Math.abs(out[0] - (0.3 + 0.5 * 0.6) / 1.5) < 1e-6);
  assert.ok(Math.abs(out[1] - (0.5 * 0.6 + 0.9) / 1.5) < 1e-6);
});

test('bilinear upscale uses half-pixel centres and clamps at the edges (PyTorch align_corners=False)', () => {
  const out = resizePlane(Float32Array.of(0, 1), 2, 1, 4, 1, 'bilinear');
  assert.deepEqual(Array.from(out), [0, 0.25, 0.75, 1]);
});

test('a constant image stays constant at any size, and 1024 -> 256 keeps the mean', () => {
  const flat = resizePlane(new Float32Array(30 * 20).fill(0.4), 30, 20, 7, 11, 'area');
  for (const v of flat) assert.ok(Math.abs(v - 0.4) < 1e-6);
  const img = imageOf(1024, 1024, (x, y) => ((x ^ y) & 255) / 255);
  const small = resizeImage(img, 256, 256, 'area');
  const mean = (a: Float32Array) => a.reduce((s, v) => s + v, 0) / a.length;
  assert.ok(Math.abs(mean(small.pixels) - mean(img.pixels)) < 1e-4);
});

test('nearest mask resize keeps 0/1 and maps block centres', () => {
  const mask = maskOf(8, 8, (x, y) => x >= 4 && y < 4);
  const out = resizeMask(mask, 2, 2);
  assert.deepEqual(Array.from(out.data), [0, 1, 0, 0]);
  const up = resizeMask(
    maskOf(2, 1, (x) => x === 1),
    4,
    1,
  );
  assert.deepEqual(Array.from(up.data), [0, 0, 1, 1]);
});

test('bad sizes are errors naming the size', () => {
  assert.throws(() => resizePlane(new Float32Array(4), 2, 2, 0, 3), /positive integer target size but received 0x3/);
  assert.throws(() => resizePlane(new Float32Array(3), 2, 2, 1, 1), /holds 3 pixels, expected 2x2/);
});
