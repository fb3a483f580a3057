import { test } from 'node:test';
import assert from 'node:assert/strict';
import dicomParser from 'dicom-parser';
import {
  DicomWriteError,
  EXPLICIT_VR_LITTLE_ENDIAN,
  writeDicomFile,
  type FileMeta,
} from '../../../src/data/synth/dicom-writer.js';

const meta: FileMeta = {
  mediaStorageSopClassUid: '1.2.840.10008.5.1.4.1.1.7',
  mediaStorageSopInstanceUid: '1.2.3.45',
  transferSyntaxUid: EXPLICIT_VR_LITTLE_ENDIAN,
  implementationClassUid: '1.2.3',
  implementationVersionName: 'TEST',
};

test('Part 10 layout: preamble, DICM, a file meta group whose length is right, padded values', () => {
  const bytes = writeDicomFile(meta, [
    { tag: 0x00080060, vr: 'CS', value: 'CR' },
    { tag: 0x00100040, vr: 'CS', value: 'F' },
    { tag: 0x00101010, vr: 'AS', value: '413' },
    { tag: 0x0020000d, vr: 'UI', value: '1.2.345' },
    { tag: 0x00280010, vr: 'US', value: 3 },
    { tag: 0x7fe00010, vr: 'OB', value: new Uint8Array([1, 2, 3]) },
  ]);
  const buf = Buffer.from(bytes);
  assert.ok(buf.subarray(0, 128).every((b) => b === 0));
  assert.equal(buf.toString('latin1', 128, 132), 'DICM');
  // (0002,0000) UL, length 4, then the group length value.
  assert.deepEqual([...buf.subarray(132, 140)], [0x02, 0x00, 0x00, 0x00, 0x55, 0x4c, 0x04, 0x00]);
  const groupLength = buf.readUInt32LE(140);
  // The next element after the group must be the first data set element, (0008,0060).
  assert.equal(buf.readUInt16LE(144 + groupLength), 0x0008);
  assert.equal(buf.readUInt16LE(146 + groupLength), 0x0060);

  const ds = dicomParser.parseDicom(bytes);
  assert.equal(ds.string('x00020010'), EXPLICIT_VR_LITTLE_ENDIAN);
  assert.equal(ds.string('x00020013'), 'TEST');
  assert.equal(ds.string('x00100040'), 'F');
  assert.equal(ds.string('x00101010'), '413');
  assert.equal(ds.uint16('x00280010'), 3);
  // Odd values are padded to even length: a space for text, NUL for UIDs and bytes.
  assert.equal(ds.elements.x00100040.length, 2);
  assert.equal(buf[ds.elements.x00100040.dataOffset + 1], 0x20);
  assert.equal(ds.elements.x0020000d.length, 8);
  assert.equal(buf[ds.elements.x0020000d.dataOffset + 7], 0);
  assert.equal(ds.elements.x7fe00010.length, 4);
  assert.deepEqual(
    [...buf.subarray(ds.elements.x7fe00010.dataOffset, ds.elements.x7fe00010.dataOffset + 4)],
    [1, 2, 3, 0],
  );
});

test('encapsulated pixel data: empty offset table, one fragment per frame, delimiter', () => {
  const fragment = new Uint8Array([0xff, 0xd8, 9, 8, 7, 0xff, 0xd9]);
  const bytes = writeDicomFile({ ...meta, transferSyntaxUid: '1.2.840.10008.1.2.4.50' }, [
    { tag: 0x00280010, vr: 'US', value: 1 },
    { tag: 0x7fe00010, encapsulated: true, fragments: [fragment] },
  ]);
  const ds = dicomParser.parseDicom(bytes);
  const pixel = ds.elements.x7fe00010;
  assert.equal(pixel.encapsulatedPixelData, true);
  assert.deepEqual(pixel.basicOffsetTable, []);
  assert.equal(pixel.fragments?.length, 1);
  const back = dicomParser.readEncapsulatedPixelDataFromFragments(ds, pixel, 0, 1);
  assert.deepEqual([...back.subarray(0, 7)], [...fragment]);
  assert.equal(back.length, 8);
});

test('refuses elements out of order, file meta in the data set, and values too long for their VR', () => {
  assert.throws(
    () =>
      writeDicomFile(meta, [
        { tag: 0x00100040, vr: 'CS', value: 'M' },
        { tag: 0x00080060, vr: 'CS', value: 'CR' },
      ]),
    DicomWriteError,
  );
  assert.throws(() => writeDicomFile(meta, [{ tag: 0x00020010, vr: 'UI', value: '1.2' }]), /group 0002/);
  assert.throws(() => writeDicomFile(meta, [{ tag: 0x00101010, vr: 'AS', value: '12345' }]), /longer than 4/);
  assert.throws(() => writeDicomFile(meta, [{ tag: 0x00280010, vr: 'US', value: 'x' }]), /expected a number/);
});
