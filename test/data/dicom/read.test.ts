// Every DICOM fixture: decodes to the reference stored values (exactly for lossless codecs, within a
// fraction of a grey level for lossy ones) or fails with the right kind and a message naming the
// file; and the SIIM sample metadata matches fixtures/README.md.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import {
  DicomError,
  decodeDicomBytes,
  readDicom,
  readDicomHeader,
  readDicomStoredPixels,
} from '../../../src/data/dicom/index.js';
import { fixture, PROJECT_ROOT } from '../../fixture-path.js';

interface Expected {
  source: string;
  exact: boolean;
  rows: number;
  columns: number;
  min: number;
  max: number;
  sum: number;
  sha256: string;
  blockMeans: number[][];
}

// Written by test/fixtures-scripts/dicom_reference.py (pydicom, DCMTK, OpenJPEG).
const EXPECTED = JSON.parse(
  readFileSync(path.join(PROJECT_ROOT, 'test/data/dicom/expected-pixels.json'), 'utf8'),
) as Record<string, Expected>;

const MUST_FAIL: Record<string, DicomError['kind']> = {
  'dicom/pydicom/MR_truncated.dcm': 'truncated',
  'dicom/pydicom/no_meta.dcm': 'not-dicom',
  'dicom/pydicom/SC_rgb_jpeg_dcmtk.dcm': 'colour',
  'dicom/pydicom/SC_rgb_small_odd.dcm': 'colour',
  'dicom/pydicom/examples_ybr_color.dcm': 'colour',
};

function blockMeans(data: Int32Array, width: number, height: number, grid = 8): number[][] {
  // The same split as numpy.array_split: the first (n % grid) blocks are one longer.
  const split = (n: number) => {
    const out: [number, number][] = [];
    let start = 0;
    for (let i = 0; i < grid; i++) {
      const len = Math.floor(n / grid) + (i < n % grid ? 1 : 0);
      out.push([start, start + len]);
      start += len;
    }
    return out;
  };
  return split(height).map(([y0, y1]) =>
    split(width).map(([x0, x1]) => {
      let sum = 0;
      for (let y = y0; y < y1; y++) for (let x = x0; x < x1; x++) sum += data[y * width + x];
      return sum / ((y1 - y0) * (x1 - x0));
    }),
  );
}

const allFixtures = ['dicom/pydicom', 'dicom/pylibjpeg', 'siim-sample'].flatMap((dir) =>
  readdirSync(fixture(dir))
    .filter((name) => name.endsWith('.dcm'))
    .map((name) => `${dir}/${name}`),
);

test('every DICOM fixture is either in the reference table, expected to fail, or the bare CR-MONO1 file', () => {
  assert.ok(allFixtures.length >= 38, `found only ${allFixtures.length} fixtures under ${fixture()}`);
  for (const name of allFixtures) {
    assert.ok(
      name in EXPECTED || name in MUST_FAIL || name.endsWith('CR-MONO1-10-chest.dcm'),
      `no expectation for ${name}`,
    );
  }
});

for (const [name, expected] of Object.entries(EXPECTED)) {
  test(`${name} decodes to the ${expected.exact ? 'exact' : 'approximate'} stored values of ${expected.source}`, async () => {
    const { meta, stored } = await readDicomStoredPixels(fixture(name));
    assert.equal(stored.height, expected.rows);
    assert.equal(stored.width, expected.columns);
    assert.equal(meta.rows, expected.rows);
    assert.equal(meta.columns, expected.columns);
    if (expected.exact) {
      const sha = createHash('sha256')
        .update(new Uint8Array(stored.data.buffer, stored.data.byteOffset, stored.data.byteLength))
        .digest('hex');
      assert.equal(sha, expected.sha256);
    } else {
      // Lossy DCT and wavelet decoders may round differently (float vs integer IDCT): each 1/64th
      // of the image must agree on average to a tenth of a grey level, and the range must match.
      const means = blockMeans(stored.data, stored.width, stored.height);
      for (let i = 0; i < 8; i++) {
        for (let j = 0; j < 8; j++) {
          assert.ok(
            Math.abs(means[i][j] - expected.blockMeans[i][j]) < 0.1,
            `block ${i},${j}: ${means[i][j]} vs ${expected.blockMeans[i][j]}`,
          );
        }
      }
      let min = Infinity;
      let max = -Infinity;
      for (const v of stored.data) {
        min = Math.min(min, v);
        max = Math.max(max, v);
      }
      assert.ok(Math.abs(min - expected.min) <= 2 && Math.abs(max - expected.max) <= 2, `range ${min}..${max}`);
    }
    // The displayable image is in [0, 1] and not constant (except where the file's own window saturates it).
    const { image } = await readDicom(fixture(name));
    let lo = Infinity;
    let hi = -Infinity;
    for (const v of image.pixels) {
      lo = Math.min(lo, v);
      hi = Math.max(hi, v);
    }
    assert.ok(lo >= 0 && hi <= 1, `image range ${lo}..${hi}`);
    if (!name.includes('JPEG2KLossless_1s_1f_u_16_16')) assert.ok(hi - lo > 0.5, `image range ${lo}..${hi}`);
  });
}

for (const [name, kind] of Object.entries(MUST_FAIL)) {
  test(`${name} fails with kind ${kind} and names the file`, async () => {
    await assert.rejects(readDicom(fixture(name)), (err: unknown) => {
      assert.ok(err instanceof DicomError, String(err));
      assert.equal(err.kind, kind);
      assert.ok(err.message.startsWith(path.basename(name) + ': '), err.message);
      return true;
    });
  });
}

test('the reference pixel arrays of MR_small, CT_small and CR-MONO1-10-chest are reproduced exactly', async () => {
  for (const name of ['MR_small.dcm', 'CT_small.dcm', 'CR-MONO1-10-chest.dcm']) {
    const reference = JSON.parse(
      readFileSync(fixture('dicom/reference', `${name}.pixel_array.json`), 'utf8'),
    ) as number[][][];
    const rows = reference[0];
    const { stored } = await readDicomStoredPixels(fixture('dicom/pydicom', name));
    assert.equal(stored.height, rows.length, name);
    assert.equal(stored.width, rows[0].length, name);
    assert.deepEqual(Array.from(stored.data), rows.flat(), name);
  }
});

test('CR-MONO1-10-chest (MONOCHROME1, implicit VR, no file meta) comes out inverted: bright = dense', async () => {
  const file = fixture('dicom/pydicom/CR-MONO1-10-chest.dcm');
  const { meta, stored, image } = await readDicom(file);
  assert.equal(meta.photometricInterpretation, 'MONOCHROME1');
  assert.equal(meta.transferSyntaxUid, '1.2.840.10008.1.2');
  // Its window is centre 550, width 1024: display = 1 - linear(stored), so the highest stored value
  // (least dense in MONOCHROME1) is darkest and display falls as stored rises everywhere.
  const expectedDisplay = (v: number) => {
    const lower = 550 - 0.5 - 1023 / 2;
    const upper = 550 - 0.5 + 1023 / 2;
    const linear = v <= lower ? 0 : v > upper ? 1 : (v - 549.5) / 1023 + 0.5;
    return 1 - linear;
  };
  let argMax = 0;
  let darkest = Infinity;
  for (let i = 0; i < stored.data.length; i++) {
    assert.ok(Math.abs(image.pixels[i] - expectedDisplay(stored.data[i])) < 1e-5);
    if (stored.data[i] > stored.data[argMax]) argMax = i;
    darkest = Math.min(darkest, image.pixels[i]);
  }
  assert.equal(image.pixels[argMax], darkest);
});

const SIIM: [string, 'M' | 'F', number, string, number][] = [
  ['1000.1517875165.878027', 'M', 38, 'PA', 0.168],
  ['10000.1517875220.938530', 'F', 10, 'AP', 0.139],
  ['10001.1517875220.930580', 'F', 50, 'AP', 0.168],
  ['10002.1517875220.939397', 'F', 68, 'AP', 0.139],
  ['10003.1517875220.942420', 'M', 65, 'AP', 0.168],
  ['12743.1517875241.599591', 'M', 28, 'PA', 0.194311],
  ['1314.1517875167.222290', 'M', 16, 'PA', 0.143],
  ['4440.1517875182.865105', 'F', 65, 'AP', 0.139],
  ['4904.1517875185.355709', 'F', 69, 'PA', 0.143],
  ['4982.1517875185.837576', 'F', 56, 'PA', 0.194311],
];

test('the 10 SIIM sample headers match the table in fixtures/README.md', async () => {
  for (const [suffix, sex, age, view, spacing] of SIIM) {
    const imageId = `1.2.276.0.7230010.3.1.4.8323329.${suffix}`;
    const meta = await readDicomHeader(fixture('siim-sample', `${imageId}.dcm`));
    assert.equal(meta.imageId, imageId);
    assert.equal(meta.patientSex, sex);
    assert.equal(meta.patientAge, age);
    assert.equal(meta.viewPosition, view);
    // The files hold e.g. "0.19431099999999998"; the README rounds.
    assert.ok(
      meta.pixelSpacing && meta.pixelSpacing.every((s) => Math.abs(s - spacing) < 1e-6),
      String(meta.pixelSpacing),
    );
    assert.equal(meta.rows, 1024);
    assert.equal(meta.columns, 1024);
    assert.equal(meta.modality, 'CR');
    assert.equal(meta.photometricInterpretation, 'MONOCHROME2');
    assert.equal(meta.transferSyntaxUid, '1.2.840.10008.1.2.4.50');
    assert.equal(meta.transferSyntaxName, 'JPEG Baseline (Process 1)');
    assert.equal(meta.bitsStored, 8);
    assert.equal(meta.numberOfFrames, 1);
    assert.equal(meta.samplesPerPixel, 1);
  }
});

test('the header read does not touch the pixels: a file with garbage JPEG data still gives its header', async () => {
  const file = fixture('siim-sample', `1.2.276.0.7230010.3.1.4.8323329.${SIIM[0][0]}.dcm`);
  const bytes = new Uint8Array(readFileSync(file));
  const { default: dicomParser } = await import('dicom-parser');
  const pixel = dicomParser.parseDicom(bytes).elements.x7fe00010;
  const fragment = pixel.fragments![0];
  bytes.fill(0x5a, fragment.position, fragment.position + fragment.length);
  await assert.rejects(
    decodeDicomBytes(bytes, 'garbage.dcm'),
    (err: unknown) => err instanceof DicomError && err.kind === 'corrupt' && err.message.startsWith('garbage.dcm: '),
  );
  const { mkdtempSync, writeFileSync, rmSync } = await import('node:fs');
  const os = await import('node:os');
  const dir = mkdtempSync(path.join(os.tmpdir(), 'pneumo-dicom-'));
  try {
    writeFileSync(path.join(dir, 'garbage.dcm'), bytes);
    const meta = await readDicomHeader(path.join(dir, 'garbage.dcm'));
    assert.equal(meta.patientAge, 38);
    writeFileSync(path.join(dir, 'text.dcm'), 'ImageId,EncodedPixels\n');
    await assert.rejects(
      readDicomHeader(path.join(dir, 'text.dcm')),
      (err: unknown) => err instanceof DicomError && err.kind === 'not-dicom',
    );
  } finally {
    rmSync(dir, { recursive: true });
  }
});

test('the deflated file (meant to fail in older readers) is supported and decodes', async () => {
  const { meta, image } = await readDicom(fixture('dicom/pydicom/image_dfl.dcm'));
  assert.equal(meta.transferSyntaxName, 'Deflated Explicit VR Little Endian');
  assert.equal(image.width, 512);
  assert.equal(image.height, 512);
});
