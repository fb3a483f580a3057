import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatMetadataCsv, METADATA_COLUMNS, metadataRows } from '../../../src/report/eda/metadata-csv.js';
import type { ImageLabel } from '../../../src/report/eda/label-facts.js';
import type { HeaderEntry } from '../../../src/report/eda/header-facts.js';

const label = (imageId: string, positive: boolean, maskPixels: number | null): ImageLabel => ({
  imageId,
  positive,
  rows: 2,
  maskRows: positive ? 1 : 0,
  duplicateRows: 1,
  mixed: false,
  maskPixels,
  maskShare: maskPixels === null ? null : maskPixels / 16,
  maskBox: null,
  size: { width: 4, height: 4 },
});
const entry = (imageId: string, age: number | null, bodyPart: string | null): HeaderEntry => ({
  path: `dir, with comma/${imageId}.dcm`,
  header: {
    imageId,
    patientAge: age,
    patientSex: 'F',
    viewPosition: 'PA',
    modality: 'CR',
    bodyPartExamined: bodyPart,
    rows: 4,
    columns: 4,
    pixelSpacing: [0.1, 0.2],
    photometricInterpretation: 'MONOCHROME2',
    transferSyntaxUid: '1.2',
  },
});

test('one row per image: labelled images in label order, then unlabelled ones; missing as empty fields', () => {
  const labels = new Map([
    ['b', label('b', true, 4)],
    ['a', label('a', false, 0)],
  ]);
  const rows = metadataRows(labels, [entry('a', 150, 'CHEST "PA"'), entry('x', 40, null)]);
  assert.deepEqual(
    rows.map((r) => [r.imageId, r.label, r.hasLabel, r.hasImage]),
    [
      ['b', 'positive', true, false],
      ['a', 'negative', true, true],
      ['x', null, false, true],
    ],
  );
  assert.equal(rows[1].ageImplausible, true);
  assert.equal(rows[2].ageImplausible, false);
  assert.equal(rows[0].age, null);
  const lines = formatMetadataCsv(rows).split('\n');
  assert.equal(lines[0], METADATA_COLUMNS.join(','));
  assert.equal(lines.length, 5); // header, three rows, final newline
  assert.equal(lines[1], 'b,positive,2,1,4,0.25,,,,,,,,,,,,,true,false,');
  assert.equal(
    lines[2],
    'a,negative,2,0,0,0,150,true,F,PA,CR,"CHEST ""PA""",4,4,0.1,0.2,MONOCHROME2,1.2,true,true,"dir, with comma/a.dcm"',
  );
});
