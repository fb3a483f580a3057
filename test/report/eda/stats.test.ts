import { test } from 'node:test';
import assert from 'node:assert/strict';
import { countBy, MISSING, ratio, summarize } from '../../../src/report/eda/stats.js';

test('summarize matches numpy.quantile (linear) and mean; non-finite values ignored', () => {
  // numpy: np.quantile([7,1,3,10,2,8], [.25,.5,.75]) -> [2.25, 5.0, 7.75], mean 5.1666...
  const s = summarize([7, 1, 3, Number.NaN, 10, 2, 8]);
  assert.deepEqual(s, { count: 6, min: 1, p25: 2.25, median: 5, p75: 7.75, max: 10, mean: 31 / 6 });
  assert.equal(summarize([]), null);
  assert.deepEqual(summarize([4]), { count: 1, min: 4, p25: 4, median: 4, p75: 4, max: 4, mean: 4 });
});

test('countBy: most frequent first, ties by value, absent values as (missing)', () => {
  const counts = countBy(['PA', 'AP', null, 'AP', 'PA', undefined, 'LL'], (v) => v);
  assert.deepEqual(Object.entries(counts), [
    [MISSING, 2],
    ['AP', 2],
    ['PA', 2],
    ['LL', 1],
  ]);
});

test('ratio of nothing is null, not 0', () => {
  assert.equal(ratio(1, 4), 0.25);
  assert.equal(ratio(0, 0), null);
});
