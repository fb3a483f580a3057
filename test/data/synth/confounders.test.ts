// Chest drains, ECG leads and skin folds: drawn at the rates asked per class, and in the pixels where
// recorded (and nowhere when not). The same case rendered with and without an item differs only
// where the item lies, since every item is drawn whether or not it is shown.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { hasRole } from '../../../src/data/synth/composition.js';
import { resolveSynthOptions } from '../../../src/data/synth/options.js';
import { renderCase } from '../../../src/data/synth/radiograph.js';
import { skinFoldX } from '../../../src/data/synth/skin-fold.js';
import type { Point } from '../../../src/data/synth/polar-shape.js';

const SIZE = 128;

test('each confounder is drawn at its own rate per class', () => {
  const positiveRate = 0.3;
  const rates = { chestDrain: [0.6, 0.1], ecgLeads: [0.25, 0.4], skinFold: [0.05, 0.2] } as const;
  for (const [role, [ratePositive, rateNegative]] of Object.entries(rates) as [
    keyof typeof rates,
    readonly [number, number],
  ][]) {
    const counts = { positive: 0, negative: 0, withPositive: 0, withNegative: 0 };
    for (let i = 0; i < 1000; i++) {
      const positive = hasRole(4, i, 'positive', positiveRate);
      const has = hasRole(4, i, role, positive ? ratePositive : rateNegative);
      if (positive) {
        counts.positive++;
        if (has) counts.withPositive++;
      } else {
        counts.negative++;
        if (has) counts.withNegative++;
      }
    }
    assert.ok(
      Math.abs(counts.withPositive / counts.positive - ratePositive) < 0.03,
      `${role} positives ${JSON.stringify(counts)}`,
    );
    assert.ok(
      Math.abs(counts.withNegative / counts.negative - rateNegative) < 0.03,
      `${role} negatives ${JSON.stringify(counts)}`,
    );
  }
});

test('rendered cases carry the items at the asked rates (drains with positives and negatives reversed)', () => {
  const options = resolveSynthOptions({ size: 64, seed: 8, n: 60, tubeRatePositive: 0.1, tubeRateNegative: 0.5 });
  let drainsPositive = 0,
    positives = 0,
    drainsNegative = 0;
  for (let i = 0; i < 60; i++) {
    const c = renderCase(options, i);
    if (c.parts.length > 0) {
      positives++;
      if (c.confounders.chestDrain) drainsPositive++;
    } else if (c.confounders.chestDrain) drainsNegative++;
  }
  const negatives = 60 - positives;
  assert.ok(Math.abs(drainsNegative - 0.5 * negatives) <= 3, `${drainsNegative} drains among ${negatives} negatives`);
  assert.ok(Math.abs(drainsPositive - 0.1 * positives) <= 2, `${drainsPositive} drains among ${positives} positives`);
});

/** Mean of |a - b| over pixels within `radius` px of any of the points, and over all other pixels. */
function differenceNearAndFar(a: Uint8Array, b: Uint8Array, near: Uint8Array): { near: number; far: number } {
  let sumNear = 0,
    countNear = 0,
    sumFar = 0,
    countFar = 0;
  for (let k = 0; k < a.length; k++) {
    const d = Math.abs(a[k] - b[k]);
    if (near[k]) {
      sumNear += d;
      countNear++;
    } else {
      sumFar += d;
      countFar++;
    }
  }
  return { near: sumNear / countNear, far: countFar ? sumFar / countFar : 0 };
}

function around(points: readonly Point[], radius: number): Uint8Array {
  const out = new Uint8Array(SIZE * SIZE);
  for (const p of points) {
    const cx = Math.round(p.x * SIZE - 0.5),
      cy = Math.round(p.y * SIZE - 0.5);
    for (let y = cy - radius; y <= cy + radius; y++)
      for (let x = cx - radius; x <= cx + radius; x++)
        if (x >= 0 && y >= 0 && x < SIZE && y < SIZE) out[y * SIZE + x] = 1;
  }
  return out;
}

test('drains, ECG leads and skin folds are in the pixels where recorded, and change nothing elsewhere', () => {
  const base = { size: SIZE, seed: 12, positiveRate: 0.5 };
  const none = resolveSynthOptions({
    ...base,
    tubeRatePositive: 0,
    tubeRateNegative: 0,
    ecgRatePositive: 0,
    ecgRateNegative: 0,
    skinFoldRatePositive: 0,
    skinFoldRateNegative: 0,
  });
  const only = (which: 'tube' | 'ecg' | 'skinFold') =>
    resolveSynthOptions({
      ...none,
      [`${which}RatePositive`]: 1,
      [`${which}RateNegative`]: 1,
    });
  for (let i = 0; i < 4; i++) {
    const plain = renderCase(none, i);
    assert.equal(plain.confounders.chestDrain, null);
    assert.deepEqual(plain.confounders.ecgLeads, []);
    const drained = renderCase(only('tube'), i);
    const drain = drained.confounders.chestDrain;
    assert.ok(drain);
    // The mask never changes with a device on the film.
    assert.deepEqual(
      drained.parts.map((p) => p.data),
      plain.parts.map((p) => p.data),
    );
    const onTube = around(drain.path.slice(drain.entry), 2);
    const tube = differenceNearAndFar(drained.pixels, plain.pixels, onTube);
    assert.ok(tube.near > 4 && tube.far < 0.5, `case ${i} drain: ${JSON.stringify(tube)}`);

    const wired = renderCase(only('ecg'), i);
    assert.ok(wired.confounders.ecgLeads.length >= 2);
    const onLeads = around(
      wired.confounders.ecgLeads.flatMap((e) => [e.at, ...e.lead]),
      2,
    );
    const leads = differenceNearAndFar(wired.pixels, plain.pixels, onLeads);
    assert.ok(leads.near > 3 && leads.far < 0.5, `case ${i} ECG: ${JSON.stringify(leads)}`);

    const folded = renderCase(only('skinFold'), i);
    const fold = folded.confounders.skinFold;
    assert.ok(fold);
    const edge: Point[] = [];
    for (let y = fold.top + 0.05; y < fold.bottom - 0.05; y += 0.5 / SIZE)
      edge.push({ x: skinFoldX(fold, y) + (fold.lung === 0 ? 1 : -1) * 0.01, y });
    const onFold = around(edge, 1);
    const folds = differenceNearAndFar(folded.pixels, plain.pixels, onFold);
    assert.ok(folds.near > 3 && folds.near > 5 * folds.far, `case ${i} skin fold: ${JSON.stringify(folds)}`);
  }
});
