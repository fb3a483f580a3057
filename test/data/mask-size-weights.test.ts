import { test } from 'node:test';
import assert from 'node:assert/strict';
import { maskAreaFraction, smallMaskWeights } from '../../src/data/mask-size-weights.js';
import { sampleEpoch } from '../../src/data/sampler.js';

const FILM = 1024 * 1024;
// A mask of `pixels` pixels as one SIIM run starting at pixel 5000.
const run = (pixels: number) => `5000 ${pixels}`;

// 10 small positives (1000 px, 0.095% of the film), 10 large (40000 px, 3.8%), 80 negatives.
const items = Array.from({ length: 100 }, (_, i) => {
  if (i < 10) return { imageId: `s${i}`, label: 1 as const, rleRows: [run(1000)] };
  if (i < 20) return { imageId: `l${i}`, label: 1 as const, rleRows: [run(40000)] };
  return { imageId: `n${i}`, label: 0 as const, rleRows: ['-1'] };
});

test('mask areas come from the label rows, overlapping rows counted once', () => {
  assert.equal(maskAreaFraction({ imageId: 'a', rleRows: [run(4000)] }), 4000 / FILM);
  // The second row covers pixels 5500..6499, half of it inside the first row's 5000..5999.
  assert.equal(maskAreaFraction({ imageId: 'b', rleRows: [run(1000), '5500 1000'] }), 1500 / FILM);
  assert.equal(maskAreaFraction({ imageId: 'c', rleRows: ['-1'] }), 0);
});

test('small-mask positives weigh `factor`, everything else 1', () => {
  const { weights, small } = smallMaskWeights(items, { belowFraction: 0.004, factor: 3 });
  assert.equal(small, 10);
  assert.deepEqual([weights[0], weights[9], weights[10], weights[19], weights[20], weights[99]], [3, 3, 1, 1, 1, 1]);
  // The edge is exclusive: a mask of exactly the fraction is not small.
  const edge = smallMaskWeights([{ imageId: 'e', label: 1, rleRows: [run(4096)] }], {
    belowFraction: 4096 / FILM,
    factor: 3,
  });
  assert.equal(edge.small, 0);
  assert.throws(() => smallMaskWeights(items, { belowFraction: 0, factor: 3 }), /fraction/);
  assert.throws(() => smallMaskWeights(items, { belowFraction: 0.004, factor: -1 }), /factor/);
});

test('balanced epochs draw a small-mask positive three times as often as a large one', () => {
  const { weights } = smallMaskWeights(items, { belowFraction: 0.004, factor: 3 });
  let small = 0,
    large = 0,
    positives = 0;
  for (let e = 0; e < 40; e++) {
    const order = sampleEpoch(items, e, 3, { positiveFraction: 'balanced', weights });
    small += order.filter((i) => i < 10).length;
    large += order.filter((i) => i >= 10 && i < 20).length;
    positives += order.filter((i) => i < 20).length;
  }
  // Positives keep half of every epoch; within them, small masks are 30 of 40 pool entries.
  assert.equal(positives, 40 * Math.round(0.5 * 120));
  assert.ok(Math.abs(small / large - 3) < 0.15, `small ${small} vs large ${large}`);
});
