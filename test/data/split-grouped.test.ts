import { test } from 'node:test';
import assert from 'node:assert/strict';
import { groupedStratifiedFolds, type Grouped } from '../../src/data/split.js';
import { Rng } from '../../src/data/random.js';

/** Patients with one to three films each; a patient's films share a label except every 7th, which mixes. */
function patients(count: number, seed: number): Grouped[] {
  const rng = new Rng(seed);
  const items: Grouped[] = [];
  for (let p = 0; p < count; p++) {
    const films = 1 + rng.int(3);
    const positive = rng.int(4) === 0;
    for (let f = 0; f < films; f++)
      items.push({
        imageId: `img.${p}.${f}`,
        group: `patient-${p}`,
        label: positive || (p % 7 === 0 && f === 0) ? 1 : 0,
      });
  }
  return items;
}

test('grouped folds: no patient on two sides, every image in one fold, classes spread evenly', () => {
  const items = patients(120, 3);
  for (const k of [2, 3, 5]) {
    const foldOf = groupedStratifiedFolds(items, k, 11);
    assert.equal(foldOf.size, items.length);
    const foldsOfPatient = new Map<string, Set<number>>();
    for (const item of items) {
      const fold = foldOf.get(item.imageId)!;
      assert.ok(fold >= 0 && fold < k);
      foldsOfPatient.set(item.group, (foldsOfPatient.get(item.group) ?? new Set()).add(fold));
    }
    for (const [patient, folds] of foldsOfPatient) assert.equal(folds.size, 1, `${patient} is in folds ${[...folds]}`);
    // Positive patients (any positive film) per fold differ by at most the largest patient (3 films).
    const positivePatientImages = Array.from({ length: k }, () => 0);
    const images = Array.from({ length: k }, () => 0);
    const positiveGroups = new Set(items.filter((i) => i.label === 1).map((i) => i.group));
    for (const item of items) {
      images[foldOf.get(item.imageId)!]++;
      if (positiveGroups.has(item.group)) positivePatientImages[foldOf.get(item.imageId)!]++;
    }
    assert.ok(Math.max(...positivePatientImages) - Math.min(...positivePatientImages) <= 3, `${positivePatientImages}`);
    assert.ok(Math.max(...images) - Math.min(...images) <= 6, `${images}`);
  }
});

test('grouped folds: same seed and set give the same folds in any input order; another seed others', () => {
  const items = patients(60, 5);
  const a = groupedStratifiedFolds(items, 3, 1);
  const shuffled = new Rng(9).shuffle([...items]);
  const b = groupedStratifiedFolds(shuffled, 3, 1);
  for (const item of items) assert.equal(b.get(item.imageId), a.get(item.imageId));
  const c = groupedStratifiedFolds(items, 3, 2);
  assert.ok(
    items.some((i) => c.get(i.imageId) !== a.get(i.imageId)),
    'seed 2 moves some patient',
  );
});

test('grouped folds: a patient with two films keeps both together; too few patients is an error naming the counts', () => {
  const items: Grouped[] = [
    { imageId: 'a1', group: 'A', label: 1 },
    { imageId: 'a2', group: 'A', label: 0 },
    { imageId: 'b1', group: 'B', label: 1 },
    { imageId: 'c1', group: 'C', label: 0 },
    { imageId: 'd1', group: 'D', label: 0 },
  ];
  const foldOf = groupedStratifiedFolds(items, 2, 0);
  assert.equal(foldOf.get('a1'), foldOf.get('a2'));
  // The two positive patients go to different folds.
  assert.notEqual(foldOf.get('a1'), foldOf.get('b1'));
  assert.throws(() => groupedStratifiedFolds(items, 5, 0), /cannot make 5 folds of 4 patients \(5 images\)/);
  assert.throws(() => groupedStratifiedFolds(items, 1, 0), /at least 2/);
  assert.throws(
    () => groupedStratifiedFolds([...items, { imageId: 'a1', group: 'Z', label: 0 }], 2, 0),
    /a1 appears twice/,
  );
});
