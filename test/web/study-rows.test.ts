// The worklist's pure parts: one row per study in the service's order, opened at its first image with
// a result; the DICOM person name, date and time as a reader writes them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { personNameText, studyDateText } from '../../web/src/dicom-text.js';
import { rowWaiting, studyRows, viewsText, type StudyImage } from '../../web/src/study-rows.js';

const item = (uid: string, studyUid: string | null, view: string, waiting: number, done = true): StudyImage => ({
  uid,
  studyUid,
  viewPosition: view,
  waitingMinutes: waiting,
  escalated: waiting > 60,
  result: done ? { decision: false } : null,
});

test('a PA and a lateral of one study are one row, in the order of their most urgent image', () => {
  const rows = studyRows([
    item('1', 'A', 'PA', 5, false),
    item('2', 'B', 'PA', 10),
    item('3', 'A', 'LL', 70),
    item('4', null, 'AP', 1),
  ]);
  assert.deepEqual(
    rows.map((r) => [r.key, r.items.map((i) => i.uid), r.open.uid, viewsText(r)]),
    [
      ['A', ['1', '3'], '3', 'PA, LL'],
      ['B', ['2'], '2', 'PA'],
      ['image:4', ['4'], '4', 'AP'],
    ],
  );
  assert.deepEqual(rowWaiting(rows[0]), { waitingMinutes: 70, escalated: true });
});

test('person names, study date and time', () => {
  assert.equal(personNameText('DOE^JANE^Q^DR'), 'DOE, DR JANE Q');
  assert.equal(personNameText('DOE'), 'DOE');
  assert.equal(personNameText(null), '–');
  assert.equal(studyDateText({ studyDate: '20240305', studyTime: '140712.5' }), '2024-03-05 14:07');
  assert.equal(studyDateText({ studyDate: null, studyTime: null }), '–');
});
