import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseIdList, readIdList } from '../../src/data/id-list.js';

const a = '1.2.276.0.7230010.3.1.4.8323329.1000.1517875165.878027';
const b = '1.2.276.0.7230010.3.1.4.8323329.12743.1517875241.599591';

test('header optional, first column kept, BOM, CRLF, quotes, blank lines, no final newline', () => {
  assert.deepEqual(parseIdList(`\uFEFFImageId, EncodedPixels\r\n${a}, -1\r\n\r\n"${b}",1 2\r\n`).ids, [a, b]);
  assert.equal(parseIdList(`ImageId\n${a}`).header, 'ImageId');
  assert.deepEqual(parseIdList(`${a}\n${b}`), { ids: [a, b], header: null, duplicates: [] });
  assert.deepEqual(parseIdList(`image_id;score\n${b};0.9\n${a};0.1\n${b};0.2`), {
    ids: [b, a],
    header: 'image_id;score',
    duplicates: [b],
  });
  assert.throws(() => parseIdList('ImageId\n\n', 'hard.csv'), /hard.csv: holds no image ids/);
});

test('reading a file; a missing file is an error naming it', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'idlist-'));
  try {
    const file = path.join(dir, 'hard.csv');
    writeFileSync(file, `${a}\r\n${b}`);
    assert.deepEqual((await readIdList(file)).ids, [a, b]);
    await assert.rejects(
      readIdList(path.join(dir, 'nope.csv')),
      /nope\.csv: cannot be read \(no such file or folder\)/,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
