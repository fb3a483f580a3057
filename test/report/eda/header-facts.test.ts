import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  ageAbsences,
  computeHeaderFacts,
  type HeaderEntry,
  type HeaderRecord,
} from '../../../src/report/eda/header-facts.js';
import type { ImageLabel } from '../../../src/report/eda/label-facts.js';

function header(
  imageId: string,
  age: number | null,
  sex: string | null,
  view: string | null,
  extra: Partial<HeaderRecord> = {},
): HeaderEntry {
  return {
    path: `/data/${imageId}.dcm`,
    header: {
      imageId,
      patientAge: age,
      patientSex: sex,
      viewPosition: view,
      modality: 'CR',
      bodyPartExamined: 'CHEST',
      rows: 1024,
      columns: 1024,
      pixelSpacing: [0.168, 0.168],
      photometricInterpretation: 'MONOCHROME2',
      transferSyntaxUid: '1.2.840.10008.1.2.4.50',
      ...extra,
    },
  };
}
function label(imageId: string, positive: boolean): [string, ImageLabel] {
  return [
    imageId,
    {
      imageId,
      positive,
      rows: 1,
      maskRows: positive ? 1 : 0,
      duplicateRows: 0,
      mixed: false,
      maskPixels: positive ? 10 : 0,
      maskShare: 0,
      maskBox: null,
      size: { width: 1024, height: 1024 },
    },
  ];
}

const LABELS = new Map([
  label('p1', true),
  label('p2', true),
  label('p3', true),
  label('n1', false),
  label('n2', false),
  label('n3', false),
  label('n4', false),
  label('gone', false),
]);
const ENTRIES = [
  header('p1', 7, 'M', 'PA'),
  header('p2', 45, 'F', 'AP'),
  header('p3', 413, 'M', 'PA'), // SIIM has ages like this
  header('n1', 3, 'F', 'AP'),
  { ...header('n2', 5, 'M', 'AP'), path: '/data/renamed.dcm' },
  header('n3', 66, 'F', 'PA', {
    rows: 512,
    columns: 640,
    photometricInterpretation: 'MONOCHROME1',
    pixelSpacing: null,
  }),
  header('n4', null, null, null, { modality: null }),
  header('extra', 30, 'F', 'PA'),
  { ...header('n1', 3, 'F', 'AP'), path: '/data/copy/n1.dcm' },
];
const UNREADABLE = [{ path: '/data/bad.dcm', reason: 'truncated' }];

test('sex and view, overall and by class, with missing values and unlabelled images', () => {
  const h = computeHeaderFacts(ENTRIES, UNREADABLE, LABELS);
  assert.deepEqual(h.sex, { F: 4, M: 3, '(missing)': 1 });
  assert.deepEqual(h.sexByClass, [
    { value: 'F', positive: 1, negative: 2, unlabelled: 1, total: 4, positiveRate: 1 / 3 },
    { value: 'M', positive: 2, negative: 1, unlabelled: 0, total: 3, positiveRate: 2 / 3 },
    { value: '(missing)', positive: 0, negative: 1, unlabelled: 0, total: 1, positiveRate: 0 },
  ]);
  assert.deepEqual(h.view, { PA: 4, AP: 3, '(missing)': 1 });
  assert.deepEqual(
    h.viewByClass.map((r) => [r.value, r.negative, r.positive, r.unlabelled]),
    [
      ['PA', 1, 2, 1],
      ['AP', 2, 1, 0],
      ['(missing)', 1, 0, 0],
    ],
  );
});

test('ages: implausible flagged and left out, bands by class, missing counted, absences called out', () => {
  const { age } = computeHeaderFacts(ENTRIES, UNREADABLE, LABELS);
  assert.deepEqual(age.implausible, [{ imageId: 'p3', age: 413, label: 'positive' }]);
  assert.equal(age.missing, 1);
  assert.deepEqual([age.positive?.count, age.positive?.min, age.positive?.max], [2, 7, 45]);
  assert.deepEqual([age.negative?.count, age.negative?.median], [3, 5]);
  assert.equal(age.all?.count, 6); // the unlabelled image counts overall
  assert.deepEqual(
    age.bands.map((b) => [b.band, b.negative, b.positive, b.unlabelled]),
    [
      ['0-9', 2, 1, 0],
      ['10-19', 0, 0, 0],
      ['20-29', 0, 0, 0],
      ['30-39', 0, 0, 1],
      ['40-49', 0, 1, 0],
      ['50-59', 0, 0, 0],
      ['60-69', 1, 0, 0],
    ],
  );
  assert.deepEqual(age.absences, [
    'no positive case under 7 (2 negative cases under it)',
    'no positive case over 45 (1 negative case over it)',
    'no negative case aged 40-49 (1 positive)',
  ]);
});

test('ageAbsences: nothing to say when one class has no ages; fractional ages printed to one decimal', () => {
  assert.deepEqual(ageAbsences([], [3, 4], []), []);
  assert.deepEqual(ageAbsences([0.5, 30], [0.25, 30], []), ['no positive case under 0.5 (1 negative case under it)']);
});

test('acquisition tables, the join with the labels, duplicate files and unreadable files', () => {
  const h = computeHeaderFacts(ENTRIES, UNREADABLE, LABELS);
  assert.equal(h.files, 10);
  assert.equal(h.readable, 9);
  assert.deepEqual(h.unreadable, UNREADABLE);
  assert.deepEqual(h.duplicateImageIds, [{ imageId: 'n1', paths: ['/data/n1.dcm', '/data/copy/n1.dcm'] }]);
  assert.deepEqual(h.fileNameMismatches, [{ path: '/data/renamed.dcm', imageId: 'n2' }]);
  assert.deepEqual(h.modality, { CR: 7, '(missing)': 1 });
  assert.deepEqual(h.imageSize, { '1024x1024': 7, '640x512': 1 });
  assert.deepEqual(h.photometricInterpretation, { MONOCHROME2: 7, MONOCHROME1: 1 });
  assert.deepEqual(h.pixelSpacing, { '0.168 x 0.168': 7, '(missing)': 1 });
  assert.deepEqual(h.imagesWithoutLabel, ['extra']);
  assert.deepEqual(h.labelsWithoutImage, ['gone']);
});

test('without labels every image is unlabelled and no join is reported', () => {
  const h = computeHeaderFacts(ENTRIES.slice(0, 3), [], null);
  assert.deepEqual(
    h.sexByClass.map((r) => [r.value, r.unlabelled, r.positiveRate]),
    [
      ['M', 2, null],
      ['F', 1, null],
    ],
  );
  assert.deepEqual([h.imagesWithoutLabel, h.labelsWithoutImage, h.age.absences], [[], [], []]);
});
