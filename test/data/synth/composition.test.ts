import { test } from 'node:test';
import assert from 'node:assert/strict';
import { hasRole } from '../../../src/data/synth/composition.js';

test('every prefix of the dataset holds the requested fraction of a role to within a few images', () => {
  // Independent coin flips would stray by sqrt(n p (1 - p)), about 18 images at n = 2000, p = 0.22.
  for (const role of [
    'positive',
    'multiPart',
    'duplicate',
    'implausibleAge',
    'male',
    'posteroAnterior',
    'chestDrain',
    'ecgLeads',
    'skinFold',
  ] as const) {
    for (const seed of [1, 2, 99]) {
      for (const rate of [0.22, 0.01, 0.5]) {
        let count = 0;
        for (let n = 1; n <= 2000; n++) {
          if (hasRole(seed, n - 1, role, rate)) count++;
          assert.ok(Math.abs(count - rate * n) <= 4, `${role} seed ${seed} rate ${rate}: ${count} of ${n}`);
        }
      }
    }
  }
});

test('roles are fixed by seed and index, differ between seeds, and rate 0 or 1 means none or all', () => {
  const pattern = (seed: number) => Array.from({ length: 50 }, (_, i) => hasRole(seed, i, 'positive', 0.22));
  assert.deepEqual(pattern(5), pattern(5));
  assert.notDeepEqual(pattern(5), pattern(6));
  for (let i = 0; i < 100; i++) {
    assert.equal(hasRole(3, i, 'duplicate', 0), false);
    assert.equal(hasRole(3, i, 'duplicate', 1), true);
  }
});

test('different roles are not the same sequence', () => {
  const a = Array.from({ length: 400 }, (_, i) => hasRole(1, i, 'positive', 0.3));
  const b = Array.from({ length: 400 }, (_, i) => hasRole(1, i, 'multiPart', 0.3));
  const both = a.filter((v, i) => v && b[i]).length;
  // Independent roles would overlap on about 0.3 * 0.3 * 400 = 36 images.
  assert.ok(both > 15 && both < 60, `overlap ${both}`);
});
