import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import dicomParser from 'dicom-parser';
import sharp from 'sharp';
import { resolveSynthOptions } from '../../../src/data/synth/options.js';
import { renderCase } from '../../../src/data/synth/radiograph.js';
import { siimDicom } from '../../../src/data/synth/siim-dicom.js';

const SIZE = 256;
const synthCase = renderCase(resolveSynthOptions({ size: SIZE, seed: 4 }), 3);
const m = synthCase.metadata;

/** The slice of dcmjs this test uses (the package ships no types). */
interface Dcmjs {
  data: {
    DicomMessage: { readFile(buffer: ArrayBuffer): { meta: Record<string, unknown>; dict: Record<string, unknown> } };
    DicomMetaDictionary: { naturalizeDataset(dict: Record<string, unknown>): Record<string, unknown> };
  };
}
const dcmjs = createRequire(import.meta.url)('dcmjs') as Dcmjs;

function arrayBuffer(bytes: Uint8Array): ArrayBuffer {
  return bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
}

function checkHeader(bytes: Uint8Array, transferSyntax: string) {
  const ds = dicomParser.parseDicom(bytes);
  assert.equal(ds.string('x00020010'), transferSyntax);
  assert.equal(ds.string('x00020003'), m.sopInstanceUid);
  assert.equal(ds.string('x00080018'), m.sopInstanceUid);
  assert.equal(ds.string('x0020000d'), m.studyInstanceUid);
  assert.equal(ds.string('x0020000e'), m.seriesInstanceUid);
  assert.equal(ds.string('x00080060'), 'CR');
  assert.equal(ds.string('x00180015'), 'CHEST');
  assert.equal(ds.string('x00100040'), m.patientSex);
  assert.equal(ds.string('x00101010'), m.patientAge);
  assert.match(ds.string('x00101010') ?? '', /^\d+$/);
  assert.equal(ds.string('x00185101'), m.viewPosition);
  assert.equal(ds.string('x0008103e'), `view: ${m.viewPosition}`);
  assert.equal(ds.string('x00100020'), m.patientId);
  assert.equal(ds.string('x00280004'), 'MONOCHROME2');
  assert.equal(ds.uint16('x00280010'), SIZE);
  assert.equal(ds.uint16('x00280011'), SIZE);
  assert.equal(ds.uint16('x00280100'), 8);
  assert.equal(ds.floatString('x00280030', 0), m.pixelSpacing);
  // SIIM's spacings (0.139..0.194311 mm at 1024 px), scaled to this size.
  assert.ok(m.pixelSpacing * (SIZE / 1024) >= 0.139 - 1e-9 && m.pixelSpacing * (SIZE / 1024) <= 0.194312);
  assert.match(m.sopInstanceUid, /^1\.2\.276\.0\.7230010\.3\.1\.4\.8323329\.4\.\d{10}\.\d{6}$/);

  // A second, independent parser agrees.
  const parsed = dcmjs.data.DicomMessage.readFile(arrayBuffer(bytes));
  const natural = dcmjs.data.DicomMetaDictionary.naturalizeDataset(parsed.dict);
  assert.equal(natural.PatientSex, m.patientSex);
  assert.equal(natural.ViewPosition, m.viewPosition);
  assert.equal(natural.Rows, SIZE);
  assert.equal(natural.SOPInstanceUID, m.sopInstanceUid);
  return ds;
}

test('explicit VR little endian: the header reads back and the pixel bytes are the image', async () => {
  const bytes = await siimDicom(m, synthCase.pixels, SIZE, 'explicit', 90);
  const ds = checkHeader(bytes, '1.2.840.10008.1.2.1');
  const pixel = ds.elements.x7fe00010;
  assert.equal(pixel.length, SIZE * SIZE);
  assert.deepEqual(new Uint8Array(bytes.subarray(pixel.dataOffset, pixel.dataOffset + pixel.length)), synthCase.pixels);
  assert.equal(ds.string('x00282110'), undefined);
});

test('JPEG baseline: one fragment, one grey component, decodes close to the image', async () => {
  const bytes = await siimDicom(m, synthCase.pixels, SIZE, 'jpeg', 90);
  const ds = checkHeader(bytes, '1.2.840.10008.1.2.4.50');
  assert.equal(ds.string('x00282110'), '01');
  assert.equal(ds.string('x00282114'), 'ISO_10918_1');
  const pixel = ds.elements.x7fe00010;
  assert.equal(pixel.fragments?.length, 1);
  const jpeg = Buffer.from(dicomParser.readEncapsulatedPixelDataFromFragments(ds, pixel, 0, 1));
  assert.deepEqual([...jpeg.subarray(0, 2)], [0xff, 0xd8]);
  // Find the frame header: SOF0 (baseline) with 8-bit samples and one component.
  let at = 2;
  while (jpeg[at + 1] !== 0xc0) {
    assert.ok(
      ![0xc1, 0xc2, 0xda].includes(jpeg[at + 1]),
      `unexpected marker ff${jpeg[at + 1].toString(16)} before SOF0`,
    );
    at += 2 + jpeg.readUInt16BE(at + 2);
  }
  assert.equal(jpeg[at + 4], 8);
  assert.equal(jpeg.readUInt16BE(at + 5), SIZE);
  assert.equal(jpeg[at + 9], 1);
  const decoded = await sharp(jpeg).extractChannel(0).raw().toBuffer();
  assert.equal(decoded.length, SIZE * SIZE);
  let error = 0;
  for (let i = 0; i < decoded.length; i++) error += Math.abs(decoded[i] - synthCase.pixels[i]);
  assert.ok(error / decoded.length < 1.5, `mean absolute error ${error / decoded.length}`);
});

// pydicom is the reference reader most SIIM code used; run it when Debian's python3 has it.
const pydicomAvailable = spawnSync('/usr/bin/python3', ['-c', 'import pydicom'], { stdio: 'ignore' }).status === 0;

test(
  'pydicom reads both variants and decodes the same pixels',
  { skip: !pydicomAvailable && 'no pydicom in /usr/bin/python3' },
  async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'pneumo-synth-'));
    try {
      writeFileSync(path.join(dir, 'explicit.dcm'), await siimDicom(m, synthCase.pixels, SIZE, 'explicit', 90));
      writeFileSync(path.join(dir, 'jpeg.dcm'), await siimDicom(m, synthCase.pixels, SIZE, 'jpeg', 90));
      writeFileSync(path.join(dir, 'raw.bin'), synthCase.pixels);
      const script = `
import sys, json, numpy as np, pydicom
d = sys.argv[1]
raw = np.fromfile(d + '/raw.bin', dtype=np.uint8).reshape(${SIZE}, ${SIZE})
out = {}
for name in ['explicit', 'jpeg']:
    ds = pydicom.dcmread(d + '/' + name + '.dcm')
    r = {'sex': ds.PatientSex, 'age': ds.PatientAge, 'view': ds.ViewPosition, 'rows': ds.Rows}
    try:
        a = ds.pixel_array
        r['shape'] = list(a.shape)
        r['mae'] = float(np.abs(a.astype(float) - raw).mean())
    except Exception as e:
        r['pixel_error'] = str(e)
    out[name] = r
print(json.dumps(out))
`;
      const run = spawnSync('/usr/bin/python3', ['-c', script, dir], { encoding: 'utf8' });
      assert.equal(run.status, 0, run.stderr);
      const result = JSON.parse(run.stdout) as Record<
        string,
        { sex: string; age: string; view: string; rows: number; shape?: number[]; mae?: number; pixel_error?: string }
      >;
      for (const r of Object.values(result)) {
        assert.equal(r.sex, m.patientSex);
        assert.equal(r.age, m.patientAge);
        assert.equal(r.view, m.viewPosition);
        assert.equal(r.rows, SIZE);
      }
      assert.deepEqual(result.explicit.shape, [SIZE, SIZE]);
      assert.equal(result.explicit.mae, 0);
      // pydicom decodes JPEG only with a plugin (Pillow here); without one only the header is checked.
      if (result.jpeg.pixel_error === undefined) assert.ok((result.jpeg.mae ?? 99) < 1.5);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  },
);
