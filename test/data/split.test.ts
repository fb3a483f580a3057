import { test } from 'node:test';
import assert from 'node:assert/strict';
import { foldSplit, positivesOnly, stratifiedFolds, stratifiedSplit, type Labelled } from '../../src/data/split.js';
import { Rng } from '../../src/data/random.js';

function makeItems(positives: number, negatives: number): Labelled[] {
  const items: Labelled[] = [];
  for (let i = 0; i < positives; i++) items.push({ imageId: `pos.${i}`, label: 1 });
  for (let i = 0; i < negatives; i++) items.push({ imageId: `neg.${i}`, label: 0 });
  return items;
}

const ids = (items: readonly Labelled[]) => items.map((i) => i.imageId);
const sortedIds = (items: readonly Labelled[]) => ids(items).sort();
const positiveCount = (items: readonly Labelled[]) => items.filter((i) => i.label === 1).length;

test('train/validation: same seed same split, another seed another, any input order', () => {
  const items = makeItems(23, 80);
  const a = stratifiedSplit(items, { seed: 7 });
  const b = stratifiedSplit(items, { seed: 7 });
  assert.deepEqual(ids(a.validation), ids(b.validation));
  assert.notDeepEqual(sortedIds(stratifiedSplit(items, { seed: 8 }).validation), sortedIds(a.validation));
  const reordered = new Rng(99).shuffle([...items]);
  const c = stratifiedSplit(reordered, { seed: 7 });
  assert.deepEqual(sortedIds(c.validation), sortedIds(a.validation));
  // Parts keep the input order.
  const position = new Map(reordered.map((item, i) => [item.imageId, i]));
  const positions = c.train.map((i) => position.get(i.imageId)!);
  assert.deepEqual(
    positions,
    [...positions].sort((x, y) => x - y),
  );
});

test('train/validation: the class ratio is kept within rounding, and the parts partition the set', () => {
  for (const [positives, negatives, fraction] of [
    [23, 80, 0.2],
    [5, 5, 0.3],
    [1, 40, 0.1],
    [300, 1100, 0.15],
  ] as const) {
    const items = makeItems(positives, negatives);
    const { train, validation } = stratifiedSplit(items, { validationFraction: fraction, seed: 3 });
    assert.equal(positiveCount(validation), Math.round(positives * fraction));
    assert.equal(validation.length - positiveCount(validation), Math.round(negatives * fraction));
    assert.equal(train.length + validation.length, items.length);
    assert.deepEqual([...sortedIds(train), ...sortedIds(validation)].sort(), sortedIds(items));
    assert.equal(new Set([...ids(train), ...ids(validation)]).size, items.length);
  }
  const all = stratifiedSplit(makeItems(3, 4), { validationFraction: 1 });
  assert.equal(all.train.length, 0);
  assert.equal(stratifiedSplit(makeItems(3, 4), { validationFraction: 0 }).validation.length, 0);
});

test('adding negatives does not move positives between train and validation', () => {
  const small = stratifiedSplit(makeItems(30, 50), { seed: 11 });
  const large = stratifiedSplit(makeItems(30, 500), { seed: 11 });
  assert.deepEqual(sortedIds(positivesOnly(small.validation)), sortedIds(positivesOnly(large.validation)));
});

test('K folds partition the set, balanced in size and in each class', () => {
  const items = makeItems(23, 81);
  const folds = stratifiedFolds(items, 5, 4);
  assert.equal(folds.length, 5);
  const all = folds.flatMap(ids);
  assert.equal(all.length, items.length);
  assert.equal(new Set(all).size, items.length);
  assert.deepEqual(all.sort(), sortedIds(items));
  const sizes = folds.map((f) => f.length);
  assert.ok(Math.max(...sizes) - Math.min(...sizes) <= 1, `sizes ${sizes}`);
  const positivesPerFold = folds.map(positiveCount);
  assert.ok(Math.max(...positivesPerFold) - Math.min(...positivesPerFold) <= 1, `positives ${positivesPerFold}`);
  assert.equal(
    positivesPerFold.reduce((s, n) => s + n, 0),
    23,
  );
  assert.deepEqual(stratifiedFolds(items, 5, 4).map(ids), folds.map(ids));
  assert.notDeepEqual(stratifiedFolds(items, 5, 5).map(sortedIds), folds.map(sortedIds));

  for (let k = 0; k < 5; k++) {
    const { train, validation } = foldSplit(items, 5, k, 4);
    assert.deepEqual(sortedIds(validation), sortedIds(folds[k]));
    assert.equal(train.length + validation.length, items.length);
    const validationIds = new Set(ids(validation));
    assert.ok(train.every((i) => !validationIds.has(i.imageId)));
  }
});

test('positives only, and bad arguments are refused with a reason', () => {
  const items = makeItems(4, 6);
  assert.deepEqual(ids(positivesOnly(items)), ['pos.0', 'pos.1', 'pos.2', 'pos.3']);
  assert.throws(() => stratifiedFolds(items, 1), /at least 2/);
  assert.throws(() => stratifiedFolds(items, 11), /cannot make 11 folds of 10 images/);
  assert.throws(() => foldSplit(items, 5, 5), /fold must be 0\.\.4/);
  assert.throws(() => stratifiedSplit(items, { validationFraction: 1.5 }), /between 0 and 1/);
  assert.throws(() => stratifiedSplit([...items, items[0]]), /pos\.0 appears twice/);
});
