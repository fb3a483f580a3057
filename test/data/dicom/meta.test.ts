import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeDicomBytes, DicomError, parsePatientAge } from '../../../src/data/dicom/index.js';
import { syntheticDicom } from './synthetic.js';

test('patient age: DICOM AS units and SIIM bare numbers in years, garbage is null', () => {
  const cases: [string | null, number | null][] = [
    ['062Y', 62],
    ['045M', 3.75],
    ['003W', 21 / 365.25],
    ['010D', 10 / 365.25],
    ['62', 62],
    [' 38 ', 38],
    ['000Y', 0],
    ['413', 413],
    ['', null],
    ['   ', null],
    ['abc', null],
    ['-5', null],
    ['12X', null],
    ['Y', null],
    [null, null],
  ];
  for (const [input, expected] of cases) {
    const got = parsePatientAge(input);
    if (expected === null) assert.equal(got, null, String(input));
    else assert.ok(got !== null && Math.abs(got - expected) < 1e-12, `${input} -> ${got}`);
  }
});

test('a written DICOM round-trips its metadata: trimmed sex, months as years, spacing, frames', async () => {
  const bytes = syntheticDicom(2, 3, [0, 1, 2, 3, 4, 5], {
    PatientAge: '045M',
    PatientSex: 'F ',
    ViewPosition: 'AP',
    BodyPartExamined: 'CHEST',
    PixelSpacing: [0.25, 0.5],
  });
  const { meta } = await decodeDicomBytes(bytes, 'synthetic.dcm');
  assert.equal(meta.imageId, '1.2.826.0.1.3680043.8.498.1');
  assert.equal(meta.patientAge, 3.75);
  assert.equal(meta.patientSex, 'F');
  assert.equal(meta.viewPosition, 'AP');
  assert.equal(meta.bodyPartExamined, 'CHEST');
  assert.deepEqual(meta.pixelSpacing, [0.25, 0.5]);
  assert.equal(meta.rows, 2);
  assert.equal(meta.columns, 3);
  assert.equal(meta.numberOfFrames, 1);
  const other = await decodeDicomBytes(syntheticDicom(1, 1, [0], { PatientSex: 'X' }), 'x.dcm');
  assert.equal(other.meta.patientSex, null);
  assert.equal(other.meta.patientAge, null);
  assert.equal(other.meta.pixelSpacing, null);
});

test('a multi-frame grayscale file fails with kind multi-frame', async () => {
  const bytes = syntheticDicom(2, 2, [1, 2, 3, 4, 5, 6, 7, 8], { NumberOfFrames: '2' });
  await assert.rejects(decodeDicomBytes(bytes, 'frames.dcm'), (err: unknown) => {
    assert.ok(err instanceof DicomError);
    assert.equal(err.kind, 'multi-frame');
    assert.match(err.message, /^frames\.dcm: multi-frame image \(2 frames\)/);
    return true;
  });
});

test('an unsupported transfer syntax fails with its name', async () => {
  const bytes = syntheticDicom(1, 1, [0]);
  // Rewrite the Transfer Syntax UID in the file meta to HTJ2K (same length as .1.2.1 padded).
  const text = Buffer.from(bytes).toString('latin1');
  const at = text.indexOf('1.2.840.10008.1.2.1\0');
  assert.ok(at > 0);
  const patched = Buffer.from(bytes);
  patched.write('1.2.840.10008.1.2.4.201'.slice(0, 20), at, 'latin1');
  await assert.rejects(
    decodeDicomBytes(new Uint8Array(patched), 'ht.dcm'),
    (err: unknown) =>
      err instanceof DicomError &&
      err.kind === 'unsupported-transfer-syntax' &&
      err.message.startsWith('ht.dcm: transfer syntax'),
  );
});
