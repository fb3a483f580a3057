import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync, copyFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import {
  ImageReadError,
  readImage,
  readImageWithMeta,
  resizeGray,
  sniffImageFormat,
  writeGrayPng,
} from '../../src/data/image-io.js';
import { readDicom } from '../../src/data/dicom/index.js';
import type { GrayImage } from '../../src/data/image.js';
import { fixture } from '../fixture-path.js';

const tmp = mkdtempSync(path.join(os.tmpdir(), 'pneumo-image-io-'));
test.after(() => rmSync(tmp, { recursive: true }));

/** A 16x8 ramp: value = x * 16 + y, 8-bit. */
function ramp8(): Uint8Array {
  const out = new Uint8Array(16 * 8);
  for (let y = 0; y < 8; y++) for (let x = 0; x < 16; x++) out[y * 16 + x] = x * 16 + y;
  return out;
}

test('PNG (gray, RGB, RGBA, 16-bit) and JPEG read into the same GrayImage, sniffed by content not name', async () => {
  const gray = ramp8();
  const expected = Array.from(gray, (v) => v / 255);
  const raw = { raw: { width: 16, height: 8, channels: 1 as const } };
  await sharp(gray, raw).png().toFile(path.join(tmp, 'gray.png'));
  const rgb = new Uint8Array(gray.length * 4);
  for (let i = 0; i < gray.length; i++) rgb.set([gray[i], gray[i], gray[i], 255], i * 4);
  await sharp(rgb, { raw: { width: 16, height: 8, channels: 4 } })
    .png()
    .toFile(path.join(tmp, 'rgba.png'));
  await sharp(rgb, { raw: { width: 16, height: 8, channels: 4 } })
    .removeAlpha()
    .png()
    .toFile(path.join(tmp, 'rgb.png'));
  // A PNG under a DICOM name: the content decides.
  copyFileSync(path.join(tmp, 'gray.png'), path.join(tmp, 'really-a-png.dcm'));
  for (const name of ['gray.png', 'rgba.png', 'rgb.png', 'really-a-png.dcm']) {
    const image = await readImage(path.join(tmp, name));
    assert.equal(image.width, 16, name);
    assert.equal(image.height, 8, name);
    for (let i = 0; i < expected.length; i++)
      assert.ok(Math.abs(image.pixels[i] - expected[i]) < 1.5 / 255, `${name}[${i}]`);
  }
  const wide = new Uint16Array(gray.length).map((_, i) => gray[i] * 257 + 1);
  // A Uint16Array (not a Buffer) tells sharp the raw input is 16-bit.
  await sharp(wide, { raw: { width: 16, height: 8, channels: 1 } })
    .toColourspace('grey16')
    .png()
    .toFile(path.join(tmp, 'gray16.png'));
  const sixteen = await readImage(path.join(tmp, 'gray16.png'));
  for (let i = 0; i < wide.length; i++)
    assert.ok(Math.abs(sixteen.pixels[i] - wide[i] / 65535) < 1e-6, `16-bit [${i}]`);

  await sharp(gray, raw).jpeg({ quality: 100 }).toFile(path.join(tmp, 'gray.jpg'));
  const jpeg = await readImageWithMeta(path.join(tmp, 'gray.jpg'));
  assert.equal(jpeg.meta, null);
  let err = 0;
  for (let i = 0; i < expected.length; i++) err = Math.max(err, Math.abs(jpeg.image.pixels[i] - expected[i]));
  assert.ok(err < 6 / 255, `JPEG max error ${err * 255} grey levels`);
});

test('a DICOM without .dcm extension is recognised and goes through the DICOM pipeline', async () => {
  const source = fixture('dicom/pydicom/CR-MONO1-10-chest.dcm');
  copyFileSync(source, path.join(tmp, 'no-extension'));
  const { image, meta } = await readImageWithMeta(path.join(tmp, 'no-extension'));
  const direct = await readDicom(source);
  assert.equal(meta?.photometricInterpretation, 'MONOCHROME1');
  assert.deepEqual(image.pixels, direct.image.pixels);
});

test('unknown content is an ImageReadError naming the file', async () => {
  writeFileSync(path.join(tmp, 'notes.png'), 'hello');
  await assert.rejects(
    readImage(path.join(tmp, 'notes.png')),
    (e: unknown) => e instanceof ImageReadError && e.message.startsWith('notes.png: '),
  );
  assert.equal(sniffImageFormat(new Uint8Array([1, 2, 3])), null);
  // A PNG signature with a broken body.
  writeFileSync(path.join(tmp, 'broken.png'), Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0]));
  await assert.rejects(readImage(path.join(tmp, 'broken.png')), ImageReadError);
});

test('writeGrayPng writes 8-bit PNG that reads back to the same values (rounded to 1/255)', async () => {
  const pixels = new Float32Array(12).map((_, i) => i / 11);
  pixels[0] = -0.5; // clamped to 0
  pixels[11] = 1.7; // clamped to 1
  const file = path.join(tmp, 'out.png');
  await writeGrayPng({ width: 4, height: 3, pixels }, file);
  const meta = await sharp(file).metadata();
  assert.equal(meta.channels, 1);
  assert.equal(meta.depth, 'uchar');
  const back = await readImage(file);
  for (let i = 0; i < 12; i++) {
    const want = Math.round(Math.min(1, Math.max(0, pixels[i])) * 255) / 255;
    assert.ok(Math.abs(back.pixels[i] - want) < 1e-6, `[${i}]`);
  }
});

test('resizeGray: area average when shrinking, bilinear when growing, constants stay constant', () => {
  const image: GrayImage = { width: 4, height: 2, pixels: Float32Array.from([0, 1, 2, 3, 4, 5, 6, 7]) };
  // 4x2 -> 2x1: each output averages a 2x2 block.
  assert.deepEqual(Array.from(resizeGray(image, 2, 1).pixels), [(0 + 1 + 4 + 5) / 4, (2 + 3 + 6 + 7) / 4]);
  // 3 -> 2 columns: output 0 covers source [0, 1.5): (v0 + 0.5 v1) / 1.5.
  const row: GrayImage = { width: 3, height: 1, pixels: Float32Array.from([3, 6, 9]) };
  const shrunk = resizeGray(row, 2, 1).pixels;
  assert.ok(Math.abs(shrunk[0] - (3 + 0.5 * 6) / 1.5) < 1e-6 && Math.abs(shrunk[1] - (0.5 * 6 + 9) / 1.5) < 1e-6);
  // 2 -> 4 columns with half-pixel centres: positions -0.25, 0.25, 0.75, 1.25 -> clamp, 1/4, 3/4, clamp.
  const grown = resizeGray({ width: 2, height: 1, pixels: Float32Array.from([0, 4]) }, 4, 1).pixels;
  assert.deepEqual(Array.from(grown), [0, 1, 3, 4]);
  const flat = resizeGray({ width: 7, height: 5, pixels: new Float32Array(35).fill(0.3) }, 3, 11).pixels;
  for (const v of flat) assert.ok(Math.abs(v - 0.3) < 1e-6);
  assert.throws(() => resizeGray(image, 0, 3), /Expected positive integer target size but received 0x3/);
});

test('readImageResized gives the pixels of readImage + resizeGray to the bit, and the source size', async () => {
  const { readImageResized } = await import('../../src/data/image-io.js');
  const { resizeImage } = await import('../../src/data/transforms/resize.js');
  const siim = path.join(fixture('siim-sample'), '1.2.276.0.7230010.3.1.4.8323329.1000.1517875165.878027.dcm');
  const cases: [string, number, number, 'area' | 'bilinear'][] = [
    [siim, 512, 512, 'area'], // 8-bit bytes shrunk by 2 in one pass
    [siim, 256, 128, 'area'], // factors 4 and 8
    [siim, 300, 300, 'area'], // not a whole factor: full size, then resized
    [siim, 512, 512, 'bilinear'],
    [fixture('dicom/pydicom/CT_small.dcm'), 32, 32, 'area'], // 16-bit signed with rescale
    [fixture('dicom/pydicom/CR-MONO1-10-chest.dcm'), 220, 220, 'area'], // MONOCHROME1
  ];
  for (const [file, width, height, method] of cases) {
    const full = await readImage(file);
    const expected = resizeImage(full, width, height, method);
    const got = await readImageResized(file, width, height, method);
    const label = `${path.basename(file)} -> ${width}x${height} ${method}`;
    assert.deepEqual([got.sourceWidth, got.sourceHeight], [full.width, full.height], label);
    assert.deepEqual([got.image.width, got.image.height], [width, height], label);
    let worst = 0;
    for (let i = 0; i < expected.pixels.length; i++)
      worst = Math.max(worst, Math.abs(got.image.pixels[i] - expected.pixels[i]));
    assert.equal(worst, 0, `${label}: pixels differ from readImage + resize by ${worst}`);
  }
  const png = path.join(tmp, 'resized.png');
  await sharp(Buffer.from(ramp8()), { raw: { width: 16, height: 8, channels: 1 } })
    .png()
    .toFile(png);
  const fromPng = await readImageResized(png, 8, 4);
  assert.deepEqual(fromPng.image.pixels, resizeGray(await readImage(png), 8, 4).pixels);
  await assert.rejects(readImageResized(path.join(tmp, 'missing.dcm'), 8, 8), /missing\.dcm|ENOENT/);
});
