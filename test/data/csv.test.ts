import { test } from 'node:test';
import assert from 'node:assert/strict';
import { csvField, csvText, splitCsvLine } from '../../src/data/csv.js';

test('splitCsvLine: quoted fields, with doubled quotes and commas inside; malformed lines give a reason', () => {
  assert.deepEqual(splitCsvLine('"a,b", "1 2" ,c'), ['a,b', '1 2', 'c']);
  assert.deepEqual(splitCsvLine('"say ""hi""",'), ['say "hi"', '']);
  assert.deepEqual(splitCsvLine(''), ['']);
  assert.ok('error' in splitCsvLine('"open, 1 2'));
  assert.ok('error' in splitCsvLine('"a"b,1'));
});

test('csvField quotes only what needs it, and every field reads back as written', () => {
  assert.equal(csvField('1.2.276.0.7230010'), '1.2.276.0.7230010');
  assert.equal(csvField('a,b'), '"a,b"');
  assert.equal(csvField('say "hi"'), '"say ""hi"""');
  assert.equal(csvField(' padded'), '" padded"', 'the reader trims unquoted fields');
  assert.equal(csvField(''), '');
  const values = ['plain', 'a,b', 'say "hi"', ' lead', 'trail\t', '', '""', 'x,"y", z '];
  assert.deepEqual(splitCsvLine(values.map(csvField).join(',')), values);
});

test('csvText: header, one line per row, LF and a final newline', () => {
  assert.equal(
    csvText(
      ['ImageId', 'note'],
      [
        ['a', 'x,y'],
        ['b', ''],
      ],
    ),
    'ImageId,note\na,"x,y"\nb,\n',
  );
  assert.equal(csvText(['only'], []), 'only\n');
});
