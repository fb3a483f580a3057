// The pixel pipeline on small written files whose display values are computed here by hand.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeDicomBytes } from '../../../src/data/dicom/index.js';
import { renderGray, renderGrayShrunk, type DisplayParams, type StoredBytes } from '../../../src/data/dicom/pixels.js';
import { Rng } from '../../../src/data/random.js';
import { resizeImage } from '../../../src/data/transforms/resize.js';
import { syntheticDicom } from './synthetic.js';

const close = (a: ArrayLike<number>, b: number[], tol = 1e-6) => {
  assert.equal(a.length, b.length);
  for (let i = 0; i < b.length; i++) assert.ok(Math.abs(a[i] - b[i]) < tol, `[${i}] ${a[i]} vs ${b[i]}`);
};

test('without a window the display is min-max of the modality values', async () => {
  const { image, stored } = await decodeDicomBytes(syntheticDicom(1, 4, [100, 200, 300, 500]), 'a.dcm');
  assert.deepEqual(Array.from(stored.data), [100, 200, 300, 500]);
  close(image.pixels, [0, 0.25, 0.5, 1]);
});

test('Bits Stored masks the unused high bits and Pixel Representation 1 sign-extends', async () => {
  // 12 bits stored, signed: 0x0fff is -1, 0x0800 is -2048, 0xf005 has garbage in the top nibble (5).
  const { stored } = await decodeDicomBytes(
    syntheticDicom(1, 4, [0x0fff, 0x0800, 0xf005, 0x07ff], { BitsStored: 12, HighBit: 11, PixelRepresentation: 1 }),
    'b.dcm',
  );
  assert.deepEqual(Array.from(stored.data), [-1, -2048, 5, 2047]);
});

test('rescale then the DICOM linear window (PS3.3 C.11.2.1.2)', async () => {
  // Modality = 2 * stored - 1024; window centre 0, width 201 -> linear from -100.5 to 99.5.
  const values = [412, 462, 512, 562, 612];
  const { image } = await decodeDicomBytes(
    syntheticDicom(1, 5, values, {
      RescaleSlope: '2',
      RescaleIntercept: '-1024',
      WindowCenter: '0',
      WindowWidth: '201',
    }),
    'c.dcm',
  );
  const expected = values.map((v) => {
    const m = 2 * v - 1024;
    if (m <= -0.5 - 100) return 0;
    if (m > -0.5 + 100) return 1;
    return (m + 0.5) / 200 + 0.5;
  });
  close(image.pixels, expected);
  // Worked by hand: -200 -> 0, -100 -> 0.0025, 0 -> 0.5025, 100 and 200 -> 1.
  close(expected, [0, 0.0025, 0.5025, 1, 1], 1e-12);
});

test('MONOCHROME1 is inverted after windowing', async () => {
  const values = [0, 50, 100];
  const mono2 = await decodeDicomBytes(
    syntheticDicom(1, 3, values, { WindowCenter: '50', WindowWidth: '101' }),
    'd.dcm',
  );
  const mono1 = await decodeDicomBytes(
    syntheticDicom(1, 3, values, { WindowCenter: '50', WindowWidth: '101', PhotometricInterpretation: 'MONOCHROME1' }),
    'e.dcm',
  );
  close(
    mono1.image.pixels,
    Array.from(mono2.image.pixels, (v) => 1 - v),
  );
  assert.ok(mono1.image.pixels[0] > mono1.image.pixels[2]);
});

test('a VOI LUT Sequence wins over the window and maps through its descriptor', async () => {
  // 4-entry LUT starting at stored value 10, 8 bits per entry: 10->0, 11->85, 12->170, 13->255; below/above clamp.
  const lut = {
    LUTDescriptor: [4, 10, 8],
    LUTData: [0, 85, 170, 255],
    _vrMap: { LUTData: 'US' },
  };
  const { image } = await decodeDicomBytes(
    syntheticDicom(1, 6, [5, 10, 11, 12, 13, 40], { VOILUTSequence: [lut], WindowCenter: '0', WindowWidth: '1' }),
    'f.dcm',
  );
  close(image.pixels, [0, 0, 85 / 255, 170 / 255, 1, 1]);
});

test('renderGrayShrunk is renderGray then the area resize, to the bit, for straight and bent display tables', () => {
  const rng = new Rng(11);
  const bytes = (width: number, height: number): StoredBytes => {
    const data = new Uint8Array(width * height);
    for (let i = 0; i < data.length; i++) data[i] = 7 + rng.int(194); // 7..200: not the whole byte range
    return { width, height, data };
  };
  const plain: DisplayParams = {
    rescaleSlope: 1,
    rescaleIntercept: 0,
    modalityLut: null,
    voiLut: null,
    window: null,
    monochrome1: false,
  };
  const cases: [string, DisplayParams][] = [
    ['min-max', plain],
    ['min-max MONOCHROME1', { ...plain, monochrome1: true }],
    ['window wider than the data', { ...plain, window: { center: 100, width: 400, fn: 'LINEAR' } }],
    ['clipping window', { ...plain, window: { center: 100, width: 60, fn: 'LINEAR' } }],
    ['sigmoid window', { ...plain, window: { center: 100, width: 80, fn: 'SIGMOID' } }],
  ];
  const shapes: [number, number, number, number][] = [
    [64, 32, 2, 2], // halving
    [30, 16, 2, 2], // halving, rows of 30 bytes
    [64, 32, 4, 2], // box shrink
  ];
  for (const [name, params] of cases) {
    for (const [width, height, fx, fy] of shapes) {
      const stored = bytes(width, height);
      const expected = resizeImage(renderGray(stored, params), width / fx, height / fy, 'area').pixels;
      const got = renderGrayShrunk(stored, params, fx, fy);
      const label = `${name}, ${width}x${height} by ${fx}x${fy}`;
      assert.deepEqual([got.width, got.height], [width / fx, height / fy], label);
      assert.ok(
        got.pixels.every((v, i) => v === expected[i]),
        `${label}: not the same to the bit`,
      );
    }
  }
});
