import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Mask } from '../../../src/data/image.js';
import { resolveSynthOptions } from '../../../src/data/synth/options.js';
import { renderCase, type SynthCase } from '../../../src/data/synth/radiograph.js';

const SIZE = 256;
// The easy preset: the clear findings whose look these tests pin down (faint ones: siim-sizes.test.ts).
const options = resolveSynthOptions({ size: SIZE, seed: 11, preset: 'easy' });
const cases: SynthCase[] = Array.from({ length: 30 }, (_, i) => renderCase(options, i));
const positives = cases.filter((c) => c.parts.length > 0);

function union(masks: readonly Mask[]): Uint8Array {
  const out = new Uint8Array(SIZE * SIZE);
  for (const m of masks) for (let i = 0; i < out.length; i++) out[i] |= m.data[i];
  return out;
}

/** Pixels within `radius` (Chebyshev) of a set pixel. */
function dilate(mask: Uint8Array, radius: number): Uint8Array {
  const rows = new Uint8Array(mask.length);
  for (let y = 0; y < SIZE; y++)
    for (let x = 0; x < SIZE; x++) {
      let on = 0;
      for (let d = -radius; d <= radius && !on; d++) {
        const xx = x + d;
        if (xx >= 0 && xx < SIZE && mask[y * SIZE + xx]) on = 1;
      }
      rows[y * SIZE + x] = on;
    }
  const out = new Uint8Array(mask.length);
  for (let y = 0; y < SIZE; y++)
    for (let x = 0; x < SIZE; x++) {
      let on = 0;
      for (let d = -radius; d <= radius && !on; d++) {
        const yy = y + d;
        if (yy >= 0 && yy < SIZE && rows[yy * SIZE + x]) on = 1;
      }
      out[y * SIZE + x] = on;
    }
  return out;
}

function erode(mask: Uint8Array, radius: number): Uint8Array {
  const inverse = mask.map((v) => 1 - v);
  return dilate(inverse, radius).map((v) => 1 - v);
}

/**
 * Median absolute difference between each pixel and the mean of its 5x5 neighbourhood, over `where`:
 * the median, so that a wire or a rib edge crossing the region does not decide the answer.
 */
function localContrast(pixels: Uint8Array, where: Uint8Array): number {
  const values: number[] = [];
  for (let y = 2; y < SIZE - 2; y++)
    for (let x = 2; x < SIZE - 2; x++) {
      const k = y * SIZE + x;
      if (!where[k]) continue;
      let mean = 0;
      for (let dy = -2; dy <= 2; dy++) for (let dx = -2; dx <= 2; dx++) mean += pixels[k + dy * SIZE + dx];
      mean /= 25;
      values.push(Math.abs(pixels[k] - mean));
    }
  values.sort((a, b) => a - b);
  return values[values.length >> 1];
}

function meanOver(pixels: Uint8Array, where: Uint8Array): number {
  let sum = 0,
    count = 0;
  for (let k = 0; k < pixels.length; k++) {
    if (!where[k]) continue;
    sum += pixels[k];
    count++;
  }
  return sum / count;
}

test('a case depends only on (seed, index): rendering it again gives the same pixels and masks', () => {
  const again = renderCase(options, 7);
  assert.deepEqual(again.pixels, cases[7].pixels);
  assert.deepEqual(
    again.parts.map((m) => m.data),
    cases[7].parts.map((m) => m.data),
  );
  assert.deepEqual(again.metadata, cases[7].metadata);
  assert.notDeepEqual(cases[8].pixels, cases[7].pixels);
  const otherSeed = renderCase(resolveSynthOptions({ size: SIZE, seed: 12, preset: 'easy' }), 7);
  assert.notDeepEqual(otherSeed.pixels, cases[7].pixels);
});

test('pneumothorax parts are non-empty, disjoint, inside the lung field and sized as asked', () => {
  assert.ok(positives.length >= 5, `expected several positives among 30, got ${positives.length}`);
  for (const c of cases) {
    if (c.parts.length === 0) {
      assert.equal(c.side, null);
      continue;
    }
    let total = 0;
    const seen = new Uint8Array(SIZE * SIZE);
    for (const part of c.parts) {
      let area = 0;
      for (let k = 0; k < seen.length; k++) {
        if (!part.data[k]) continue;
        area++;
        assert.equal(seen[k], 0, `case ${c.index}: parts overlap at pixel ${k}`);
        assert.equal(c.lungField.data[k], 1, `case ${c.index}: mask pixel ${k} outside the lungs`);
        seen[k] = 1;
      }
      assert.ok(area > 0, `case ${c.index}: empty part`);
      total += area;
    }
    const fraction = total / (SIZE * SIZE);
    // The area is fitted analytically; rasterising at 256 px moves it by a few percent at most.
    assert.ok(
      fraction >= options.minAreaFraction * 0.93 && fraction <= options.maxAreaFraction * 1.05,
      `case ${c.index}: area fraction ${fraction}`,
    );
  }
});

test('inside a pneumothorax the lung texture is missing', () => {
  for (const c of positives) {
    const ptx = union(c.parts);
    const inside = erode(ptx, 2);
    // Lung well away from the pneumothorax and from the lung's own edge.
    const lung = erode(c.lungField.data, 3);
    const near = dilate(ptx, 4);
    const outside = lung.map((v, k) => (v && !near[k] ? 1 : 0));
    const vIn = localContrast(c.pixels, inside);
    const vOut = localContrast(c.pixels, outside);
    assert.ok(vIn < 0.7 * vOut, `case ${c.index}: local contrast inside ${vIn.toFixed(2)} vs lung ${vOut.toFixed(2)}`);
  }
});

test('a bright pleural line runs along the inner border of the pneumothorax', () => {
  for (const c of positives) {
    const ptx = union(c.parts);
    const lungNotPtx = c.lungField.data.map((v, k) => (v && !ptx[k] ? 1 : 0));
    // Stay clear of the chest wall, where the crescent's ends meet the lung outline.
    const deepLung = erode(c.lungField.data, 3);
    const ring1 = dilate(ptx, 1);
    const ring4 = dilate(ptx, 4);
    const ring6 = dilate(ptx, 6);
    const line = lungNotPtx.map((v, k) => (v && ring1[k] && deepLung[k] ? 1 : 0));
    const beyond = lungNotPtx.map((v, k) => (v && ring6[k] && !ring4[k] && deepLung[k] ? 1 : 0));
    const pneumothoraxEdge = ptx.map((v, k) => (v && deepLung[k] && dilate1At(lungNotPtx, k, 3) ? 1 : 0));
    const mLine = meanOver(c.pixels, line);
    const mBeyond = meanOver(c.pixels, beyond);
    const mPtx = meanOver(c.pixels, pneumothoraxEdge);
    assert.ok(
      mLine > mBeyond + 10 && mLine > mPtx + 15,
      `case ${c.index}: line ${mLine.toFixed(1)}, lung beyond ${mBeyond.toFixed(1)}, pneumothorax ${mPtx.toFixed(1)}`,
    );
  }
});

function dilate1At(mask: Uint8Array, k: number, radius: number): boolean {
  const x = k % SIZE,
    y = Math.floor(k / SIZE);
  for (let dy = -radius; dy <= radius; dy++)
    for (let dx = -radius; dx <= radius; dx++) {
      const xx = x + dx,
        yy = y + dy;
      if (xx >= 0 && yy >= 0 && xx < SIZE && yy < SIZE && mask[yy * SIZE + xx]) return true;
    }
  return false;
}
