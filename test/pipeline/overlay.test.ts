// The titled overlay puts its title in a band above the film: every film pixel, the top rows (the
// apices) included, comes out as it went in, and the band holds the title, the model and the
// not-for-diagnostic-use line.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import sharp from 'sharp';
import type { GrayImage } from '../../src/data/image.js';
import { bandHeight, NOT_FOR_DIAGNOSTIC_USE, renderOverlayPng, renderOverlayRgb } from '../../src/pipeline/overlay.js';
import { overlayBanner } from '../../src/pipeline/predict-files.js';
import type { Prediction } from '../../src/pipeline/predictor.js';
import { emptyMask } from '../../src/data/image.js';

function gradient(width: number, height: number): GrayImage {
  const pixels = new Float32Array(width * height);
  for (let y = 0; y < height; y++)
    for (let x = 0; x < width; x++) pixels[y * width + x] = ((x * 3 + y * 5) % 256) / 255;
  return { width, height, pixels };
}

const negative = {
  probability: 0.12,
  threshold: 0.5,
  decision: false,
  segmented: false,
  area: 0,
  mask: emptyMask(300, 200),
} as unknown as Prediction;

test('the title band is added above the film; the film, top rows included, is untouched', async () => {
  const image = gradient(300, 200);
  const banner = overlayBanner(negative, null, { name: 'pneumo resnet + unet', version: '0.1.0 bundle X' });
  assert.deepEqual(banner.lines.slice(-2), ['model pneumo resnet + unet · 0.1.0 bundle X', NOT_FOR_DIAGNOSTIC_USE]);
  const band = bandHeight(image.width, banner);
  assert.ok(band >= 20);
  const { data, info } = await sharp(await renderOverlayPng(image, [], banner))
    .raw()
    .toBuffer({ resolveWithObject: true });
  assert.deepEqual([info.width, info.height, info.channels], [300, 200 + band, 3]);
  let changed = 0;
  for (let y = 0; y < image.height; y++)
    for (let x = 0; x < image.width; x++) {
      const v = Math.round(image.pixels[y * image.width + x] * 255);
      const o = ((y + band) * image.width + x) * 3;
      if (data[o] !== v || data[o + 1] !== v || data[o + 2] !== v) changed++;
    }
  assert.equal(changed, 0, 'film pixels changed by the title');
  // The band: black with light text in it.
  let lit = 0;
  for (let i = 0; i < band * image.width * 3; i++) if (data[i] > 128) lit++;
  assert.ok(lit > 200, `the band holds text (${lit} bright samples)`);
  // The raw RGB of the Secondary Capture is the same picture.
  const rgb = await renderOverlayRgb(image, [], banner);
  assert.deepEqual([rgb.width, rgb.height], [300, 200 + band]);
  assert.ok(rgb.rgb.equals(data));
  // Without a title, no band.
  const plain = await renderOverlayRgb(image, [], null);
  assert.equal(plain.height, 200);
});
