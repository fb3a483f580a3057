import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { tmpdir } from 'node:os';
import path from 'node:path';
import {
  chooseRleReading,
  formatLabelCsv,
  hasMask,
  LabelFileError,
  LabelRowError,
  parseLabelCsv,
  readLabelCsv,
  requireLabelRows,
  writeLabelCsv,
} from '../../src/data/labels.js';
import {
  fixture,
  SIIM_SAMPLE,
  SIIM_SAMPLE_CRLF_BOM_CSV,
  SIIM_SAMPLE_CSV,
  SIIM_SAMPLE_ID_PREFIX,
} from '../fixture-path.js';

const POSITIVE_SUFFIXES = [
  '12743.1517875241.599591',
  '1314.1517875167.222290',
  '4440.1517875182.865105',
  '4904.1517875185.355709',
  '4982.1517875185.837576',
];

test('both SIIM sample CSVs read the same: 10 images, 5 positive, no header, trimmed RLE', async () => {
  const plain = await readLabelCsv(SIIM_SAMPLE_CSV);
  const crlfBom = await readLabelCsv(SIIM_SAMPLE_CRLF_BOM_CSV);
  for (const table of [plain, crlfBom]) {
    assert.equal(table.hasHeader, false);
    assert.deepEqual(table.malformed, []);
    assert.deepEqual(table.duplicates, []);
    assert.equal(table.duplicateRowCount, 0);
    assert.equal(table.rows.length, 10);
    assert.equal(table.images.size, 10);
    assert.deepEqual(
      table.rows.map((r) => r.line),
      [1, 2, 3, 4, 5, 6, 7, 8, 9, 10],
    );
    for (const row of table.rows) {
      assert.ok(row.imageId.startsWith(SIIM_SAMPLE_ID_PREFIX), row.imageId);
      assert.equal(row.encodedPixels, row.encodedPixels.trim());
    }
    const positives = [...table.images]
      .filter(([, rows]) => hasMask(rows))
      .map(([id]) => id.slice(SIIM_SAMPLE_ID_PREFIX.length));
    assert.deepEqual(positives.sort(), [...POSITIVE_SUFFIXES].sort());
  }
  assert.deepEqual(crlfBom.rows, plain.rows);
  assert.deepEqual([...crlfBom.images], [...plain.images]);
  // The first id carries no BOM.
  assert.equal(plain.rows[0].imageId, SIIM_SAMPLE_ID_PREFIX + '1000.1517875165.878027');
});

test('headers with and without the space, BOM, CRLF, lone CR, blank lines and no final newline', () => {
  const expected = [
    { imageId: 'a', encodedPixels: '1 2' },
    { imageId: 'b', encodedPixels: '-1' },
  ];
  const variants = [
    'ImageId,EncodedPixels\na,1 2\nb,-1\n',
    '\uFEFFImageId, EncodedPixels\r\na, 1 2\r\nb, -1',
    ' imageid , encodedpixels \r\n\r\n  a ,  1 2  \r\n\r\nb,-1\r\n\r\n',
    'ImageId,EncodedPixels\ra,1 2\rb,-1',
  ];
  for (const text of variants) {
    const table = parseLabelCsv(text, 'v.csv');
    assert.equal(table.hasHeader, true, JSON.stringify(text));
    assert.deepEqual(table.malformed, []);
    assert.deepEqual(
      table.rows.map(({ imageId, encodedPixels }) => ({ imageId, encodedPixels })),
      expected,
      JSON.stringify(text),
    );
  }
  // Line numbers count the header and blank lines.
  assert.deepEqual(
    parseLabelCsv(variants[2]).rows.map((r) => r.line),
    [3, 5],
  );
  assert.deepEqual(
    parseLabelCsv('a,-1\n\nb,-1').rows.map((r) => r.line),
    [1, 3],
  );
  assert.equal(parseLabelCsv('').rows.length, 0);
  assert.equal(parseLabelCsv('ImageId,EncodedPixels\n').rows.length, 0);
});

test('quoted fields, with doubled quotes and commas inside', () => {
  const table = parseLabelCsv('"ImageId","EncodedPixels"\n"x.1","3 4"\n"x,2",-1\n');
  assert.equal(table.hasHeader, true);
  assert.deepEqual(
    table.rows.map((r) => [r.imageId, r.encodedPixels]),
    [
      ['x.1', '3 4'],
      ['x,2', '-1'],
    ],
  );
});

test('several rows of an image group in file order; duplicates are counted and kept', () => {
  const text = [
    'ImageId,EncodedPixels',
    'p,10 5', // 2
    'n,-1', // 3
    'q,1 1',
    'p,100 5', // 5
    'p,10 5', // 6: repeats line 2
    'n, -1', // 7: repeats line 3 (blank-insensitive)
    'n,', // 8: an empty field is -1 too
    'p,10  5', // 9: repeats line 2 again
    'q,1 1 ', // 10: repeats line 4
    'm,-1', // 11
    'm,7 2', // 12: a negative row and a mask row for one image
  ].join('\n');
  const table = parseLabelCsv(text, 'dup.csv');
  assert.deepEqual(table.malformed, []);
  assert.equal(table.rows.length, 11);
  assert.deepEqual([...table.images.keys()], ['p', 'n', 'q', 'm']);
  assert.deepEqual(
    table.images.get('p')!.map((r) => r.line),
    [2, 5, 6, 9],
  );
  assert.deepEqual(
    table.duplicates.map((d) => [d.imageId, d.lines]),
    [
      ['p', [2, 6, 9]],
      ['n', [3, 7, 8]],
      ['q', [4, 10]],
    ],
  );
  assert.equal(table.duplicateRowCount, 5);
  assert.deepEqual(table.mixedImages, ['m']);
  assert.ok(hasMask(table.images.get('m')!));
  assert.ok(!hasMask(table.images.get('n')!));
});

test('malformed rows are reported with file, line and image, and reading carries on', () => {
  const text = [
    'ImageId,EncodedPixels',
    'ok.1,0 3', // 2
    'cols.1', // 3: one field
    'cols.3,1 2,extra', // 4: three fields
    'odd.1,1 2 3', // 5
    'neg.1,4 -2', // 6
    'frac.1,1.5 2', // 7
    'end.1,1048570 10', // 8: past the end of 1024x1024
    ',5 5', // 9: empty ImageId
    '"quote.1,1 2', // 10: unclosed quote
    'ImageId,EncodedPixels', // 11: a second header
    'ok.2,-1', // 12
  ].join('\r\n');
  const table = parseLabelCsv(text, 'bad.csv');
  assert.deepEqual(
    table.rows.map((r) => [r.line, r.imageId]),
    [
      [2, 'ok.1'],
      [12, 'ok.2'],
    ],
  );
  const found = table.malformed.map((e) => [e.line, e.imageId]);
  assert.deepEqual(found, [
    [3, 'cols.1'],
    [4, 'cols.3'],
    [5, 'odd.1'],
    [6, 'neg.1'],
    [7, 'frac.1'],
    [8, 'end.1'],
    [9, null],
    [10, 'quote.1'],
    [11, null],
  ]);
  for (const err of table.malformed) {
    assert.ok(err instanceof LabelRowError);
    assert.match(err.message, new RegExp(`^bad\\.csv line ${err.line}`));
    if (err.imageId) assert.ok(err.message.includes(`(image ${err.imageId})`), err.message);
  }
  const reasons = table.malformed.map((e) => e.reason);
  assert.match(reasons[0], /expected 2 fields \(ImageId, EncodedPixels\), found 1/);
  assert.match(reasons[1], /found 3/);
  assert.match(reasons[2], /odd count/);
  assert.match(reasons[3], /"-2" in the RLE is not a non-negative integer/);
  assert.match(reasons[4], /"1\.5"/);
  assert.match(reasons[5], /past the end of the 1024x1024 image/);
  assert.match(reasons[6], /empty ImageId/);
  assert.match(reasons[7], /quote/);
  assert.match(reasons[8], /header/);
  // The size that runs are checked against is an option.
  assert.equal(parseLabelCsv('s,10 6', 's.csv', { width: 4, height: 4 }).malformed.length, 0);
  assert.match(
    parseLabelCsv('s,10 7', 's.csv', { width: 4, height: 4 }).malformed[0].message,
    /past the end of the 4x4/,
  );
});

test('the SIIM writer writes a header, -1 for empty masks, and reads back to the same entries', async () => {
  const entries = [
    { imageId: 'id.1', encodedPixels: '5 3 10 2' },
    { imageId: 'id.2', encodedPixels: '' },
    { imageId: 'id.3', encodedPixels: ' -1' },
    { imageId: 'odd,id "x"', encodedPixels: ' 1 1 ' },
  ];
  const text = formatLabelCsv(entries);
  assert.equal(text, 'ImageId,EncodedPixels\nid.1,5 3 10 2\nid.2,-1\nid.3,-1\n"odd,id ""x""",1 1\n');
  const dir = mkdtempSync(path.join(tmpdir(), 'pneumo-labels-'));
  try {
    const file = path.join(dir, 'submission.csv');
    await writeLabelCsv(file, entries);
    assert.equal(readFileSync(file, 'utf8'), text);
    const back = await readLabelCsv(file);
    assert.equal(back.hasHeader, true);
    assert.deepEqual(back.malformed, []);
    assert.deepEqual(
      back.rows.map((r) => [r.imageId, r.encodedPixels]),
      [
        ['id.1', '5 3 10 2'],
        ['id.2', '-1'],
        ['id.3', '-1'],
        ['odd,id "x"', '1 1'],
      ],
    );
    await assert.rejects(readLabelCsv(path.join(dir, 'missing.csv')), (err: unknown) => {
      assert.ok(err instanceof LabelFileError);
      assert.match(err.message, /missing\.csv: cannot read the label file: no such file/);
      return true;
    });
    await assert.rejects(readLabelCsv(dir), /is a folder/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  assert.throws(() => formatLabelCsv([{ imageId: ' ', encodedPixels: '-1' }]), /empty ImageId/);
});

test('a gzipped label file reads as the plain one, by its bytes not its name; binary and empty files are refused', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'pneumo-labels-gz-'));
  try {
    const plain = await readLabelCsv(SIIM_SAMPLE_CSV);
    const gz = path.join(dir, 'train-rle.csv.gz');
    writeFileSync(gz, gzipSync(readFileSync(SIIM_SAMPLE_CSV)));
    const zipped = await readLabelCsv(gz);
    assert.deepEqual(zipped.rows, plain.rows);
    assert.equal(zipped.malformed.length, 0);
    assert.equal(zipped.source, gz);
    // A gzipped file named .csv is still recognised.
    const misnamed = path.join(dir, 'labels.csv');
    writeFileSync(misnamed, gzipSync(readFileSync(SIIM_SAMPLE_CSV)));
    assert.equal((await readLabelCsv(misnamed)).images.size, 10);

    const binary = path.join(dir, 'image.csv');
    writeFileSync(
      binary,
      readFileSync(
        fixture(
          'siim-sample',
          readdirSync(SIIM_SAMPLE).find((f) => f.endsWith('.dcm'))!,
        ),
      ),
    );
    await assert.rejects(readLabelCsv(binary), (err: Error) => {
      assert.ok(err instanceof LabelFileError);
      assert.match(err.message, /image\.csv: not a text CSV \(binary content\)/);
      return true;
    });
    const brokenGzip = path.join(dir, 'cut.csv.gz');
    writeFileSync(brokenGzip, gzipSync(readFileSync(SIIM_SAMPLE_CSV)).subarray(0, 40));
    await assert.rejects(readLabelCsv(brokenGzip), /cut\.csv\.gz: a gzip file that does not decompress/);

    assert.equal(requireLabelRows(zipped), zipped);
    assert.throws(() => requireLabelRows(parseLabelCsv('', 'empty.csv')), /^LabelFileError: empty\.csv: no label rows/);
    assert.throws(
      () => requireLabelRows(parseLabelCsv('ImageId,EncodedPixels\n', 'header.csv')),
      /header\.csv: no label rows \(the file is empty or holds only a header\)/,
    );
    assert.throws(
      () => requireLabelRows(parseLabelCsv('a,1 2 3\nb,x\n', 'junk.csv')),
      /junk\.csv: no valid label row: all 2 rows are malformed \(line 1: odd count/,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a malformed row with control characters in its ImageId is reported in printable form', () => {
  const table = parseLabelCsv('id\u0001\u001b[2Jx,1 2 3\n', 'odd.csv');
  assert.equal(table.malformed.length, 1);
  assert.equal(table.malformed[0].imageId, 'id\u0001\u001b[2Jx', 'the id itself is kept as read');
  assert.match(table.malformed[0].message, /^odd\.csv line 1 \(image id\\x01\\x1b\[2Jx\): /);
});

// --rle on a 4x3 image, whose pixels are numbered column by column (rle.test.ts). Kaggle's "2 3 8 2"
// (absolute, 1-based) is SIIM's "1 3 3 2"; read as SIIM gaps it runs past the image, and SIIM's
// "1 3 3 2" read as absolute starts goes backwards. "5 1" fits both readings but means pixel 4 or 5.
const SIZE_4x3 = { width: 4, height: 3 };
const csv = (...rows: string[]) => ['ImageId,EncodedPixels', ...rows].join('\n');

test('--rle auto: the reading under which every row fits, rows held in the SIIM form', () => {
  const absolute = parseLabelCsv(csv('a,2 3 8 2', 'b,-1', 'c,5 1', 'd,1 2 3'), 'abs.csv', { ...SIZE_4x3, rle: 'auto' });
  assert.equal(absolute.rleReading, 'absolute');
  assert.deepEqual(
    absolute.rows.map((r) => [r.imageId, r.encodedPixels]),
    [
      ['a', '1 3 3 2'],
      ['b', '-1'],
      ['c', '4 1'],
    ],
  );
  // A row broken under both readings decides nothing and is reported as before.
  assert.deepEqual(
    absolute.malformed.map((e) => [e.line, e.imageId, e.reason]),
    [[5, 'd', 'odd count of numbers (3) in the RLE']],
  );
  const relative = parseLabelCsv(csv('a,1 3 3 2', 'c,5 1'), 'rel.csv', { ...SIZE_4x3, rle: 'auto' });
  assert.equal(relative.rleReading, 'relative');
  assert.deepEqual(
    relative.rows.map((r) => r.encodedPixels),
    ['1 3 3 2', '5 1'],
  );
  // A run from pixel 0 exists only in SIIM's form; empty rows alone read as SIIM's.
  assert.equal(parseLabelCsv(csv('a,0 2'), 'x', { ...SIZE_4x3, rle: 'auto' }).rleReading, 'relative');
  assert.equal(parseLabelCsv(csv('a,-1', 'b,'), 'x', { ...SIZE_4x3, rle: 'auto' }).rleReading, 'relative');
  // Explicit readings are taken as given.
  const forced = parseLabelCsv(csv('c,5 1'), 'x', { ...SIZE_4x3, rle: 'absolute' });
  assert.deepEqual([forced.rleReading, forced.rows[0].encodedPixels], ['absolute', '4 1']);
  // The default is SIIM's relative reading, with nothing converted.
  assert.equal(parseLabelCsv(csv('c,5 1'), 'x', SIZE_4x3).rleReading, 'relative');
});

test('--rle auto: both or neither reading fitting is one line naming the file and a row that decides it', () => {
  assert.throws(
    () => parseLabelCsv(csv('a,2 3 8 2', 'b,-1', 'c,1 3 3 2'), 'mixed.csv', { ...SIZE_4x3, rle: 'auto' }),
    (err: unknown) => {
      assert.ok(err instanceof LabelFileError);
      assert.equal(
        err.message,
        'mixed.csv: --rle auto: neither reading fits every row: line 4 (image c) fits only relative starts (absolute: run 2 starts at pixel 3, before the end of run 1 (absolute runs come in order)), line 2 (image a) only absolute ones (relative: run 2 ends at pixel 15, past the end of the 4x3 image); choose --rle relative or --rle absolute',
      );
      return true;
    },
  );
  assert.throws(
    () => parseLabelCsv(csv('b,-1', 'c,5 1', 'e,7 2'), 'both.csv', { ...SIZE_4x3, rle: 'auto' }),
    /^LabelFileError: both\.csv: --rle auto: both readings fit every row, and line 3 \(image c\) decodes differently under them; choose --rle relative or --rle absolute$/,
  );
  // The same decision from the rows alone.
  assert.equal(chooseRleReading([{ line: 1, imageId: 'a', encodedPixels: '2 3 8 2' }], 'x', 4, 3), 'absolute');
});

test('a row that fits only the other reading says so in its malformed reason', () => {
  const table = parseLabelCsv(csv('a,2 3 8 2', 'b,1 3 3 2'), 'kaggle.csv', SIZE_4x3);
  assert.deepEqual(
    table.malformed.map((e) => e.message),
    [
      'kaggle.csv line 2 (image a): run 2 ends at pixel 15, past the end of the 4x3 image; it fits absolute run starts (--rle)',
    ],
  );
  const asAbsolute = parseLabelCsv(csv('a,2 3 8 2', 'b,1 3 3 2'), 'siim.csv', { ...SIZE_4x3, rle: 'absolute' });
  assert.match(
    asAbsolute.malformed[0].message,
    /line 3 \(image b\): run 2 starts at pixel 3, .*; it fits relative run starts \(--rle\)$/,
  );
  assert.deepEqual(
    asAbsolute.rows.map((r) => r.encodedPixels),
    ['1 3 3 2'],
  );
});
