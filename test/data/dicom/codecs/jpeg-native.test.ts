// The pneumo_jpeg addon (native/jpeg/decode.cc): built with the project, the same samples as sharp's
// libjpeg-turbo (and so as pydicom's Pillow, which read.test.ts checks by hash on the SIIM sample),
// colour streams left to sharp, damaged streams rejected rather than grey-filled.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import sharp from 'sharp';
import { nativeJpegDecoder } from '../../../../src/data/dicom/codecs/jpeg-native.js';
import { fixture } from '../../../fixture-path.js';
import { jpegOf } from './jpeg-stream.js';

const decoder = nativeJpegDecoder();

test('the addon is built and decodes every 8-bit grey stream of the fixtures to the samples sharp decodes', async () => {
  assert.ok(decoder, 'build/Release/pneumo_jpeg.node is missing: run `npm run install`');
  const files = [
    ...readdirSync(fixture('siim-sample'))
      .filter((f) => f.endsWith('.dcm'))
      .map((f) => fixture('siim-sample', f)),
    fixture('dicom/pylibjpeg/JPEGBaseline_1s_1f_u_08_08.dcm'),
  ];
  for (const file of files) {
    const jpeg = jpegOf(file);
    const ours = decoder.decodeGray8(jpeg);
    const { data, info } = await sharp(jpeg).toColourspace('b-w').raw().toBuffer({ resolveWithObject: true });
    assert.deepEqual([ours.width, ours.height, ours.components, ours.precision], [info.width, info.height, 1, 8]);
    assert.ok(ours.pixels && Buffer.from(ours.pixels).equals(data), `${file}: samples differ from sharp's`);
  }
});

test('colour and 12-bit streams come back undecoded, with what they are', async () => {
  assert.ok(decoder);
  const rgb = await sharp(Buffer.alloc(16 * 8 * 3, 90), { raw: { width: 16, height: 8, channels: 3 } })
    .jpeg()
    .toBuffer();
  const colour = decoder.decodeGray8(new Uint8Array(rgb));
  assert.deepEqual([colour.width, colour.height, colour.components, colour.pixels], [16, 8, 3, null]);
  // Debian's libjpeg-turbo is built for 8-bit samples: a 12-bit stream is refused with its reason.
  assert.throws(() => decoder.decodeGray8(jpegOf(fixture('dicom/pydicom/JPEG-lossy.dcm'))), /precision|Unsupported/i);
});

test('damaged streams throw with libjpeg-turbo reason instead of decoding to grey fill', () => {
  assert.ok(decoder);
  const jpeg = jpegOf(fixture('siim-sample/1.2.276.0.7230010.3.1.4.8323329.1314.1517875167.222290.dcm'));
  assert.throws(() => decoder.decodeGray8(jpeg.subarray(0, jpeg.length >> 1)), /Premature end/);
  assert.throws(() => decoder.decodeGray8(jpeg.subarray(2)), /Not a JPEG file/);
  const garbage = jpeg.slice();
  garbage.fill(0x5a, 2000, garbage.length - 2);
  assert.throws(() => decoder.decodeGray8(garbage));
  assert.throws(() => decoder.decodeGray8(new Uint16Array(4) as unknown as Uint8Array), /expects a Uint8Array/);
});
