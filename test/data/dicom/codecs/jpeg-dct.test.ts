// Our sequential DCT decoder (used for 12-bit JPEG Extended) checked against libjpeg-turbo on 8-bit
// streams, where both can run: a float IDCT and libjpeg's integer one may differ by one grey level.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import sharp from 'sharp';
import { decodeJpegDct } from '../../../../src/data/dicom/codecs/jpeg-dct.js';
import { CodecError } from '../../../../src/data/dicom/codecs/frame.js';
import { fixture } from '../../../fixture-path.js';
import { jpegOf } from './jpeg-stream.js';

test('8-bit baseline JPEG: our decoder agrees with libjpeg-turbo to within one grey level', async () => {
  for (const file of [
    fixture('siim-sample/1.2.276.0.7230010.3.1.4.8323329.1314.1517875167.222290.dcm'),
    fixture('dicom/pylibjpeg/JPEGBaseline_1s_1f_u_08_08.dcm'),
  ]) {
    const jpeg = jpegOf(file);
    const ours = decodeJpegDct(jpeg);
    const { data, info } = await sharp(jpeg).toColourspace('b-w').raw().toBuffer({ resolveWithObject: true });
    assert.equal(ours.width, info.width);
    assert.equal(ours.height, info.height);
    assert.equal(ours.precision, 8);
    let maxDiff = 0;
    let differing = 0;
    for (let i = 0; i < data.length; i++) {
      const d = Math.abs(ours.samples[i] - data[i]);
      maxDiff = Math.max(maxDiff, d);
      if (d > 0) differing++;
    }
    assert.ok(maxDiff <= 1, `max difference ${maxDiff}`);
    assert.ok(differing < data.length * 0.05, `${differing} pixels differ`);
  }
});

test('12-bit JPEG Extended decodes with precision 12 despite the wrong Ss/Se its writer put in the SOS', () => {
  const image = decodeJpegDct(jpegOf(fixture('dicom/pydicom/JPEG-lossy.dcm')));
  assert.equal(image.precision, 12);
  assert.equal(image.width, 256);
  assert.equal(image.height, 1024);
});

test('broken streams throw CodecError: no SOI, a cut scan, garbage entropy data', () => {
  const jpeg = jpegOf(fixture('dicom/pydicom/JPEG-lossy.dcm'));
  assert.throws(() => decodeJpegDct(jpeg.subarray(2)), CodecError);
  assert.throws(
    () => decodeJpegDct(jpeg.subarray(0, Math.floor(jpeg.length / 2))),
    (err: unknown) => err instanceof CodecError && err.truncated,
  );
  const garbage = jpeg.slice();
  // Overwrite the entropy-coded data after the headers with bytes that are not valid Huffman codes.
  garbage.fill(0xff, 700, garbage.length - 2);
  assert.throws(() => decodeJpegDct(garbage), CodecError);
});
