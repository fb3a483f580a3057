import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import {
  decodeRle,
  decodeRleRows,
  encodeRle,
  isEmptyRle,
  rleIntervals,
  RleError,
  SIIM_SIZE,
  toRelativeRle,
} from '../../src/data/rle.js';
import { emptyMask, maskArea, type Mask } from '../../src/data/image.js';
import { Rng } from '../../src/data/random.js';
import { SIIM_SAMPLE_CSV, SIIM_SAMPLE_ID_PREFIX } from '../fixture-path.js';

// A 4 wide, 3 high image numbers its pixels column by column:
//   row 0:  0  3  6  9
//   row 1:  1  4  7 10
//   row 2:  2  5  8 11
function maskFromRows(rows: string[]): Mask {
  const height = rows.length;
  const width = rows[0].length;
  const mask = emptyMask(width, height);
  rows.forEach((r, y) => [...r].forEach((c, x) => (mask.data[y * width + x] = c === '#' ? 1 : 0)));
  return mask;
}

function maskToRows(mask: Mask): string[] {
  const rows: string[] = [];
  for (let y = 0; y < mask.height; y++) {
    let r = '';
    for (let x = 0; x < mask.width; x++) r += mask.data[y * mask.width + x] ? '#' : '.';
    rows.push(r);
  }
  return rows;
}

const KNOWN_4x3: [string, string[]][] = [
  ['0 2', ['#...', '#...', '....']],
  ['5 2', ['..#.', '....', '.#..']], // pixel 5 (row 2, column 1) and 6 (row 0, column 2): one run across columns
  ['0 1 3 2 5 1', ['#...', '.#..', '.#.#']], // gaps relative to the end of the previous run: 0, 4-5, 11
  ['11 1', ['....', '....', '...#']], // a run ending on the last pixel
  ['0 12', ['####', '####', '####']],
  ['1 1 1 1 1 1 1 1 1 1 1 1', ['.#.#', '#.#.', '.#.#']],
];

test('hand-computed 4x3 masks decode and encode both ways', () => {
  for (const [encoded, rows] of KNOWN_4x3) {
    assert.deepEqual(maskToRows(decodeRle(encoded, 4, 3)), rows, `decode ${encoded}`);
    assert.equal(encodeRle(maskFromRows(rows)), encoded, `encode ${rows.join('/')}`);
  }
});

test('a non-square image is walked top to bottom, then left to right', () => {
  // 2 wide, 5 high: column 0 holds pixels 0-4, column 1 pixels 5-9.
  assert.deepEqual(maskToRows(decodeRle('3 4', 2, 5)), ['.#', '.#', '..', '#.', '#.']);
  assert.equal(encodeRle(maskFromRows(['.#', '.#', '..', '#.', '#.'])), '3 4');
});

test('-1, " -1", an empty and a blank field are the empty mask; an empty mask encodes as -1', () => {
  for (const encoded of ['-1', ' -1', '', '   ', '-1 ']) {
    assert.ok(isEmptyRle(encoded));
    assert.equal(maskArea(decodeRle(encoded, 4, 3)), 0);
  }
  assert.ok(!isEmptyRle('0 1'));
  assert.equal(encodeRle(emptyMask(4, 3)), '-1');
  assert.equal(encodeRle(emptyMask(SIIM_SIZE, SIIM_SIZE)), '-1');
});

test('several rows of one image are OR-ed: overlapping runs do not add', () => {
  const mask = decodeRleRows(['0 3', '1 3', '1 1'], 4, 3);
  // Pixels {0, 1, 2} | {1, 2, 3} | {1}: column 0 and the top of column 1.
  assert.deepEqual(maskToRows(mask), ['##..', '#...', '#...']);
  assert.equal(maskArea(mask), 4);
  assert.ok(mask.data.every((v) => v === 0 || v === 1));
  assert.equal(encodeRle(mask), '0 4');
  assert.deepEqual(rleIntervals(['0 3', '1 3', '1 1'], 4, 3), [0, 4]);
  // Rows in any order, touching and disjoint runs.
  assert.deepEqual(rleIntervals(['9 2', '0 2', '2 1', '5 1'], 4, 3), [0, 3, 5, 6, 9, 11]);
});

test('malformed RLE is an error naming the image', () => {
  const cases: [string, RegExp][] = [
    ['1 2 3', /odd count of numbers \(3\)/],
    ['-5 3', /"-5" in the RLE is not a non-negative integer/],
    ['1 -3', /"-3" in the RLE is not a non-negative integer/],
    ['1.5 2', /"1\.5" in the RLE is not a non-negative integer/],
    ['1 x', /"x" in the RLE is not a non-negative integer/],
    ['10 3', /run 1 ends at pixel 13, past the end of the 4x3 image/],
    ['0 1 5 7', /run 2 ends at pixel 13, past the end/],
  ];
  for (const [encoded, reason] of cases) {
    for (const decode of [() => decodeRle(encoded, 4, 3, 'img.7'), () => rleIntervals([encoded], 4, 3, 'img.7')]) {
      assert.throws(decode, (err: unknown) => {
        assert.ok(err instanceof RleError, `${encoded}: ${String(err)}`);
        assert.equal(err.imageId, 'img.7');
        assert.match(err.message, /^img\.7: /);
        assert.match(err.message, reason);
        return true;
      });
    }
  }
  // Exactly reaching the end is fine.
  assert.equal(maskArea(decodeRle('10 2', 4, 3)), 2);
});

// Facts of /work/shared/fixtures/README.md, computed there independently of this codec.
const FIXTURE_FACTS: Record<string, { pixels: number; rows: [number, number]; columns: [number, number] }> = {
  '12743.1517875241.599591': { pixels: 2071, rows: [536, 659], columns: [791, 820] },
  '1314.1517875167.222290': { pixels: 29079, rows: [106, 736], columns: [116, 453] },
  '4440.1517875182.865105': { pixels: 2486, rows: [82, 161], columns: [520, 682] },
  '4904.1517875185.355709': { pixels: 9418, rows: [99, 254], columns: [171, 433] },
  '4982.1517875185.837576': { pixels: 5232, rows: [149, 252], columns: [284, 464] },
};

test('the SIIM sample masks decode to the documented areas and extents, and re-encode to the same text', () => {
  // Read the CSV naively here, so that this test does not depend on the label reader.
  const lines = readFileSync(SIIM_SAMPLE_CSV, 'utf8')
    .replace(/^\uFEFF/, '')
    .split(/\r?\n/)
    .filter(Boolean);
  assert.equal(lines.length, 10);
  let positives = 0;
  for (const line of lines) {
    const comma = line.indexOf(',');
    const id = line.slice(0, comma).slice(SIIM_SAMPLE_ID_PREFIX.length);
    const encoded = line.slice(comma + 1);
    const mask = decodeRle(encoded, SIIM_SIZE, SIIM_SIZE, id);
    const facts = FIXTURE_FACTS[id];
    if (!facts) {
      assert.equal(maskArea(mask), 0, id);
      assert.equal(encodeRle(mask), '-1');
      continue;
    }
    positives++;
    let minRow = Infinity,
      maxRow = -1,
      minColumn = Infinity,
      maxColumn = -1;
    for (let i = 0; i < mask.data.length; i++) {
      if (!mask.data[i]) continue;
      const row = Math.floor(i / SIIM_SIZE),
        column = i % SIIM_SIZE;
      minRow = Math.min(minRow, row);
      maxRow = Math.max(maxRow, row);
      minColumn = Math.min(minColumn, column);
      maxColumn = Math.max(maxColumn, column);
    }
    assert.equal(maskArea(mask), facts.pixels, id);
    assert.deepEqual([minRow, maxRow], facts.rows, id);
    assert.deepEqual([minColumn, maxColumn], facts.columns, id);
    assert.equal(encodeRle(mask), encoded.trim(), id);
    const intervals = rleIntervals([encoded], SIIM_SIZE, SIIM_SIZE, id);
    let covered = 0;
    for (let i = 0; i < intervals.length; i += 2) covered += intervals[i + 1] - intervals[i];
    assert.equal(covered, facts.pixels, id);
  }
  assert.equal(positives, 5);
});

/** Column-major runs of a mask found by a plain scan: the reference for rleIntervals. */
function referenceIntervals(mask: Mask): number[] {
  const out: number[] = [];
  let k = 0;
  for (let x = 0; x < mask.width; x++) {
    for (let y = 0; y < mask.height; y++, k++) {
      const on = mask.data[y * mask.width + x] === 1;
      const open = out.length % 2 === 1;
      if (on && !open) out.push(k);
      if (!on && open) out.push(k);
    }
  }
  if (out.length % 2 === 1) out.push(k);
  return out;
}

test('decode(encode(m)) == m for random masks, including full masks and runs on the last pixel', () => {
  const rng = new Rng(20240611);
  const densities = [0, 0.03, 0.3, 0.5, 0.9, 1];
  for (let trial = 0; trial < 600; trial++) {
    const width = 1 + rng.int(17),
      height = 1 + rng.int(13);
    const mask = emptyMask(width, height);
    const density = densities[trial % densities.length];
    // Blocky masks as well as salt-and-pepper ones, so that long runs crossing columns occur.
    const block = 1 + rng.int(4);
    for (let y = 0; y < height; y++) {
      for (let x = 0; x < width; x++) {
        const cell = Rng.derive(trial, Math.floor(x / block), Math.floor(y / block));
        mask.data[y * width + x] = cell.bool(density) ? 1 : 0;
      }
    }
    if (trial % 5 === 0) mask.data[mask.data.length - 1] = 1; // the last pixel in column-major order too
    const encoded = encodeRle(mask);
    const decoded = decodeRle(encoded, width, height);
    assert.deepEqual(decoded.data, mask.data, `trial ${trial} ${width}x${height}: ${encoded}`);
    assert.deepEqual(rleIntervals([encoded], width, height), referenceIntervals(mask), `trial ${trial}`);
    // Splitting the runs over two rows and OR-ing them back gives the same mask.
    const [half1, half2] = [emptyMask(width, height), emptyMask(width, height)];
    mask.data.forEach((v, i) => ((rng.bool() ? half1 : half2).data[i] = v));
    assert.deepEqual(decodeRleRows([encodeRle(half1), encodeRle(half2)], width, height).data, mask.data);
    assert.deepEqual(rleIntervals([encodeRle(half1), encodeRle(half2)], width, height), referenceIntervals(mask));
  }
  const full = emptyMask(SIIM_SIZE, SIIM_SIZE);
  full.data.fill(1);
  assert.equal(encodeRle(full), `0 ${SIIM_SIZE * SIIM_SIZE}`);
  assert.deepEqual(decodeRle(encodeRle(full)).data, full.data);
});

test('encoding treats any non-zero byte as mask, whatever the buffer alignment', () => {
  const rng = new Rng(77);
  for (const [width, height] of [
    [8, 5],
    [12, 1],
    [7, 6],
    [1, 9],
  ]) {
    const binary = emptyMask(width, height);
    binary.data.forEach((_, i) => (binary.data[i] = rng.bool(0.4) ? 1 : 0));
    const expected = encodeRle(binary);
    // Values 1..255 for "on", in a buffer that starts at an odd offset.
    const backing = new Uint8Array(width * height + 3);
    const shifted: Mask = { width, height, data: backing.subarray(3) };
    binary.data.forEach((v, i) => (shifted.data[i] = v ? 1 + rng.int(255) : 0));
    assert.equal(encodeRle(shifted), expected, `${width}x${height} odd offset`);
    const bytes255: Mask = { width, height, data: binary.data.map((v) => v * 255) };
    assert.equal(encodeRle(bytes255), expected, `${width}x${height} 255`);
  }
});

// Kaggle's standard RLE on the same 4x3 image: (start, length) with 1-based absolute starts.
const KNOWN_ABSOLUTE_4x3: [string, string, string[]][] = [
  ['1 2', '0 2', ['#...', '#...', '....']],
  ['6 2', '5 2', ['..#.', '....', '.#..']],
  ['1 1 5 2 12 1', '0 1 3 2 5 1', ['#...', '.#..', '.#.#']],
  ['2 3 8 2', '1 3 3 2', ['.#..', '#.#.', '#.#.']],
];

test('absolute (1-based) run starts read as hand-decoded, and turn into the SIIM form', () => {
  for (const [absolute, relative, rows] of KNOWN_ABSOLUTE_4x3) {
    assert.equal(toRelativeRle(absolute, 'absolute', 4, 3), relative, absolute);
    assert.deepEqual(maskToRows(decodeRle(toRelativeRle(absolute, 'absolute', 4, 3), 4, 3)), rows, absolute);
  }
  // A relative row comes back as written; empty rows stay as they are under both readings.
  assert.equal(toRelativeRle('1  3 3 2', 'relative', 4, 3), '1  3 3 2');
  for (const reading of ['relative', 'absolute'] as const) assert.equal(toRelativeRle('-1', reading, 4, 3), '-1');
});

test('what does not fit a reading is an error naming the run', () => {
  const reason = (encoded: string, reading: 'relative' | 'absolute') => {
    try {
      toRelativeRle(encoded, reading, 4, 3, 'img');
    } catch (err) {
      assert.ok(err instanceof RleError);
      assert.equal(err.imageId, 'img');
      return err.reason;
    }
    return null;
  };
  // Kaggle's row read as SIIM gaps runs past the image; SIIM's row read as absolute starts goes backwards.
  assert.equal(reason('2 3 8 2', 'relative'), 'run 2 ends at pixel 15, past the end of the 4x3 image');
  assert.equal(
    reason('1 3 3 2', 'absolute'),
    'run 2 starts at pixel 3, before the end of run 1 (absolute runs come in order)',
  );
  assert.equal(reason('0 2', 'absolute'), 'run 1 starts at 0; absolute run starts count from 1');
  assert.equal(reason('12 2', 'absolute'), 'run 1 ends at pixel 13, past the end of the 4x3 image');
  assert.equal(reason('12 1', 'absolute'), null, 'a run on the last pixel fits');
});
