// The reading room's pure parts, run in Node: the DICOM linear VOI window with rescale and the
// MONOCHROME1 inversion at known values, the windows the presets choose, and the mask brush, outline
// and RLE round trip the viewer relies on.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeRle, encodeRle } from '../../src/data/rle.js';
import { emptyMask } from '../../src/data/image.js';
import { fullWindow, modalityRange, percentileWindow, renderWindow } from '../../web/src/window-level.js';
import { paintDisc, paintStroke, renderMask } from '../../web/src/mask-layer.js';

const grey = (rgba: Uint8ClampedArray) => Array.from({ length: rgba.length / 4 }, (_, i) => rgba[i * 4]);

test('renderWindow follows DICOM PS3.3 C.11.2.1.2: clipped below and above, linear between', () => {
  const out = new Uint8ClampedArray(5 * 4);
  // Centre 100, width 101: values <= 49.5 are black, values > 149.5 white; 100 maps to
  // ((100 - 99.5) / 100 + 0.5) * 255 = 128.775, rounded by the clamped array to 129.
  renderWindow(Uint16Array.from([0, 49, 100, 150, 4000]), 1, 0, { center: 100, width: 101 }, false, out);
  assert.deepEqual(grey(out), [0, 0, 129, 255, 255]);
  assert.deepEqual(Array.from(out.slice(8, 12)), [129, 129, 129, 255]);
});

test('renderWindow applies the rescale before the window and inverts MONOCHROME1', () => {
  const out = new Uint8ClampedArray(3 * 4);
  // int16 stored -1000, 0, 1000 with slope 2, intercept -24: modality -2024, -24, 1976; window -24 +- 1000.
  renderWindow(Int16Array.from([-1000, 0, 1000]), 2, -24, { center: -24, width: 2000 }, false, out);
  const plain = grey(out);
  assert.equal(plain[0], 0);
  assert.equal(plain[2], 255);
  assert.ok(Math.abs(plain[1] - 127.5) <= 1);
  renderWindow(Int16Array.from([-1000, 0, 1000]), 2, -24, { center: -24, width: 2000 }, true, out);
  assert.deepEqual(
    grey(out),
    plain.map((g) => 255 - g),
  );
});

test('the presets: the full range spans every value, the percentile window drops outliers', () => {
  const values = new Uint16Array(1000).map((_, i) => 100 + (i % 100));
  values[0] = 0;
  values[1] = 4095;
  const range = modalityRange(values, 1, 0);
  assert.deepEqual(range, { min: 0, max: 4095 });
  assert.deepEqual(fullWindow(range), { center: 2048, width: 4096 });
  const auto = percentileWindow(values, 1, 0);
  assert.ok(auto.center - auto.width / 2 >= 100 && auto.center + auto.width / 2 <= 199, JSON.stringify(auto));
});

test('brush and eraser change exactly the disc; a stroke leaves no gap; the result round-trips through SIIM RLE', () => {
  const mask = emptyMask(64, 48);
  assert.equal(paintDisc(mask, 20, 20, 5, 1), true);
  for (let y = 0; y < 48; y++)
    for (let x = 0; x < 64; x++) {
      const inside = (x - 20) ** 2 + (y - 20) ** 2 <= 25;
      assert.equal(mask.data[y * 64 + x], inside ? 1 : 0, `(${x}, ${y})`);
    }
  assert.equal(paintDisc(mask, 20, 20, 5, 1), false, 'painting painted pixels changes nothing');
  paintStroke(mask, 10, 40, 60, 40, 2, 1);
  for (let x = 10; x <= 60; x++) assert.equal(mask.data[40 * 64 + x], 1, `stroke pixel ${x}`);
  paintDisc(mask, 20, 20, 2, 0);
  assert.equal(mask.data[20 * 64 + 20], 0);
  assert.deepEqual(decodeRle(encodeRle(mask), 64, 48).data, mask.data);
});

test('the outline keeps the edge of the mask and drops its inside', () => {
  const mask = emptyMask(32, 32);
  for (let y = 8; y < 24; y++) for (let x = 8; x < 24; x++) mask.data[y * 32 + x] = 1;
  const fill = new Uint8ClampedArray(32 * 32 * 4);
  const outline = new Uint8ClampedArray(32 * 32 * 4);
  renderMask(mask, 'fill', fill);
  renderMask(mask, 'outline', outline);
  const alpha = (rgba: Uint8ClampedArray, x: number, y: number) => rgba[(y * 32 + x) * 4 + 3];
  assert.equal(alpha(fill, 16, 16), 255);
  assert.equal(alpha(outline, 16, 16), 0, 'the inside is not drawn as an outline');
  assert.equal(alpha(outline, 8, 16), 255);
  assert.equal(alpha(outline, 9, 16), 255, 'the outline is two pixels thick');
  assert.equal(alpha(outline, 10, 16), 0);
  assert.equal(alpha(fill, 4, 4), 0);
});
