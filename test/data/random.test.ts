import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Rng } from '../../src/data/random.js';

test('the same seed gives the same sequence, another seed another', () => {
  const a = new Rng(7),
    b = new Rng(7),
    c = new Rng(8);
  const sa = Array.from({ length: 5 }, () => a.nextUint32());
  assert.deepEqual(
    sa,
    Array.from({ length: 5 }, () => b.nextUint32()),
  );
  assert.notDeepEqual(
    sa,
    Array.from({ length: 5 }, () => c.nextUint32()),
  );
});

test('uniform and normal draws have the right moments', () => {
  const rng = new Rng(1);
  const n = 100_000;
  let su = 0,
    sn = 0,
    sn2 = 0;
  for (let i = 0; i < n; i++) {
    su += rng.next();
    const z = rng.normal();
    sn += z;
    sn2 += z * z;
  }
  assert.ok(Math.abs(su / n - 0.5) < 0.01);
  assert.ok(Math.abs(sn / n) < 0.02);
  assert.ok(Math.abs(sn2 / n - 1) < 0.02);
});

test('int stays in range and shuffle is a permutation', () => {
  const rng = new Rng(3);
  for (let i = 0; i < 1000; i++) {
    const v = rng.int(10);
    assert.ok(Number.isInteger(v) && v >= 0 && v < 10);
  }
  const items = Array.from({ length: 50 }, (_, i) => i);
  const shuffled = rng.shuffle([...items]);
  assert.notDeepEqual(shuffled, items);
  assert.deepEqual(
    [...shuffled].sort((x, y) => x - y),
    items,
  );
});
