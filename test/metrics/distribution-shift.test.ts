// PSI and the two-sample KS statistic on hand-computed cases and against scipy.stats.ks_2samp.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  binShares,
  EMPTY_BIN_SHARE,
  ksStatistic,
  populationStabilityIndex,
  psiOfShares,
  quantileEdges,
} from '../../src/metrics/distribution-shift.js';

const close = (a: number, b: number, what: string, tol = 1e-12) =>
  assert.ok(Math.abs(a - b) < tol, `${what}: ${a} vs ${b}`);

test('PSI of bin shares by hand', () => {
  // (0.1-0.25)ln(0.4) + (0.2-0.25)ln(0.8) + (0.3-0.25)ln(1.2) + (0.4-0.25)ln(1.6)
  const expected = -0.15 * Math.log(0.4) - 0.05 * Math.log(0.8) + 0.05 * Math.log(1.2) + 0.15 * Math.log(1.6);
  close(psiOfShares([0.25, 0.25, 0.25, 0.25], [0.1, 0.2, 0.3, 0.4]), expected, 'psi');
  close(expected, 0.2282174, 'the worked figure', 1e-6);
  assert.equal(psiOfShares([0.5, 0.5], [0.5, 0.5]), 0, 'equal shares: 0');
  // An empty bin counts with EMPTY_BIN_SHARE: (1e-4 - 0.5) ln(1e-4 / 0.5) + (1 - 0.5) ln(1 / 0.5).
  close(
    psiOfShares([0.5, 0.5], [0, 1]),
    (EMPTY_BIN_SHARE - 0.5) * Math.log(EMPTY_BIN_SHARE / 0.5) + 0.5 * Math.log(2),
    'empty bin',
  );
});

test('quantile edges and bins: numpy linear quantiles, right-closed bins, ties merged', () => {
  const reference = Array.from({ length: 20 }, (_, i) => (i + 1) / 20);
  // numpy.quantile(0.05..1.0, [.25, .5, .75]) = 0.2875, 0.525, 0.7625
  const edges = quantileEdges(reference, 4);
  close(edges[0], 0.2875, 'q25');
  close(edges[1], 0.525, 'q50');
  close(edges[2], 0.7625, 'q75');
  assert.deepEqual(binShares(reference, edges), [0.25, 0.25, 0.25, 0.25]);
  assert.deepEqual(
    binShares([0.2875, 0.2876, 2], edges),
    [1 / 3, 1 / 3, 0, 1 / 3],
    'a value on an edge is in the lower bin',
  );
  assert.deepEqual(quantileEdges([0, 0, 0, 0, 1], 4), [0], 'a tied reference has fewer bins');
});

test('PSI over reference-quantile bins (checked with numpy)', () => {
  const reference = Array.from({ length: 20 }, (_, i) => (i + 1) / 20);
  const current = [
    0.05, 0.1, 0.3, 0.35, 0.4, 0.45, 0.5, 0.55, 0.6, 0.62, 0.7, 0.72, 0.8, 0.85, 0.9, 0.95, 0.97, 0.99, 1.0, 1.0,
  ];
  // Shares 0.1, 0.25, 0.25, 0.4 against 0.25 each: 0.15 ln 4.
  close(populationStabilityIndex(reference, current, 4), 0.15 * Math.log(4), 'psi');
  close(populationStabilityIndex(reference, current, 4), 0.20794415416798362, 'numpy', 1e-12);
  close(populationStabilityIndex(reference, reference, 10), 0, 'same sample');
  assert.throws(() => populationStabilityIndex(reference, []), /current sample is empty/);
  assert.throws(() => populationStabilityIndex([0.1, NaN], [0.2]), /value 1 is NaN/);
});

test('two-sample KS statistic equals scipy.stats.ks_2samp', () => {
  close(ksStatistic([1, 2, 3, 4, 5], [3, 4, 5, 6, 7, 8]), 0.5, 'integers');
  // Ties across the samples: scipy gives 0.43333333333333335 (= 13/30).
  close(ksStatistic([0.1, 0.2, 0.2, 0.4, 0.5, 0.9], [0.2, 0.3, 0.6, 0.7, 0.8]), 13 / 30, 'ties');
  const reference = Array.from({ length: 20 }, (_, i) => (i + 1) / 20);
  const current = [
    0.05, 0.1, 0.3, 0.35, 0.4, 0.45, 0.5, 0.55, 0.6, 0.62, 0.7, 0.72, 0.8, 0.85, 0.9, 0.95, 0.97, 0.99, 1.0, 1.0,
  ];
  close(ksStatistic(reference, current), 0.15, 'scipy 0.15');
  assert.equal(ksStatistic([1, 2, 3], [1, 2, 3]), 0);
  assert.equal(ksStatistic([0, 1], [2, 3]), 1, 'disjoint samples');
  assert.equal(ksStatistic([3, 1, 2], [2, 3, 1]), 0, 'order does not matter');
  assert.throws(() => ksStatistic([], [1]), /empty/);
});
