// Damaged files never crash the process and never hang: every compressed fixture, cut short or with
// bytes flipped in its pixel data (seeded), either decodes or throws a DicomError naming the file.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import dicomParser from 'dicom-parser';
import { decodeDicomBytes, DicomError } from '../../../src/data/dicom/index.js';
import { Rng } from '../../../src/data/random.js';
import { fixture } from '../../fixture-path.js';

const SMALL_COMPRESSED = [
  'dicom/pydicom/MR_small_RLE.dcm',
  'dicom/pydicom/MR_small_jp2klossless.dcm',
  'dicom/pydicom/MR_small_jpeg_ls_lossless.dcm',
  'dicom/pydicom/JPEG-lossy.dcm',
  'dicom/pydicom/JPEG2000.dcm',
  'dicom/pydicom/image_dfl.dcm',
  'dicom/pylibjpeg/JPEGBaseline_1s_1f_u_08_08.dcm',
  'dicom/pydicom/CT_small.dcm',
];

async function outcome(bytes: Uint8Array, name: string): Promise<string> {
  try {
    await decodeDicomBytes(bytes, name);
    return 'decoded';
  } catch (err) {
    assert.ok(err instanceof DicomError, `${name}: ${String(err)}`);
    assert.ok(err.message.startsWith(name + ': '), err.message);
    return err.kind;
  }
}

test('truncated copies fail cleanly', async () => {
  for (const name of SMALL_COMPRESSED) {
    const bytes = new Uint8Array(readFileSync(fixture(name)));
    for (const fraction of [0.05, 0.5, 0.9, 0.99]) {
      const cut = bytes.slice(0, Math.floor(bytes.length * fraction));
      const kind = await outcome(cut, `cut-${fraction}.dcm`);
      assert.notEqual(kind, 'decoded', `${name} cut to ${fraction} decoded`);
    }
  }
});

test('copies with flipped pixel bytes decode or fail cleanly', async () => {
  const rng = new Rng(20240601);
  for (const name of SMALL_COMPRESSED) {
    const file = readFileSync(fixture(name));
    const bytes = new Uint8Array(file);
    // Parsed from the Buffer: dicom-parser's own deflate path (image_dfl) needs Buffer methods.
    const element = dicomParser.parseDicom(file).elements.x7fe00010;
    // A deflated file's offsets are in its inflated bytes: damage it anywhere after the file meta.
    const start = element && element.dataOffset < bytes.length ? element.dataOffset : 400;
    for (let trial = 0; trial < 6; trial++) {
      const damaged = bytes.slice();
      for (let k = 0; k < 1 + trial * 4; k++) {
        const at = start + rng.int(damaged.length - start);
        damaged[at] ^= 1 + rng.int(255);
      }
      await outcome(damaged, `flipped-${trial}.dcm`);
    }
  }
});
