import { test } from 'node:test';
import assert from 'node:assert/strict';
import { siimAreaQuantile } from '../../../src/data/synth/siim-reference.js';
import type { LabelFacts } from '../../../src/report/eda/label-facts.js';
import { compareWithSiim } from '../../../src/report/eda/siim-comparison.js';

const rows = (counts: number[]) =>
  ({ rowsPerPositiveImage: counts.map((images, i) => ({ maskRows: i + 1, images })) }) as unknown as LabelFacts;

test('a sample drawn from the SIIM distribution compares equal to SIIM; a large-mask one does not', () => {
  const siimLike = Array.from({ length: 2001 }, (_, i) => siimAreaQuantile((i + 0.5) / 2001));
  const same = compareWithSiim(siimLike, rows([1540, 340, 80, 40, 10]));
  assert.ok(same);
  for (const p of same.percentiles) assert.ok(Math.abs(p.ratio - 1) < 0.02, `p${p.percentile}: ${p.ratio}`);
  for (const b of same.bands) assert.ok(Math.abs(b.dataset - b.siim) < 0.01, `${b.band}: ${b.dataset}`);
  assert.deepEqual(
    same.rows.map((r) => r.rows),
    ['1', '2', '3', '4+'],
  );
  assert.equal(same.rows[3].dataset, 50 / 2010);
  assert.ok(Math.abs(same.rows[0].siim - 0.77 / 1.005) < 1e-12);

  // The easy generator's masks: 1.8% to 6% of the image, all in the top band.
  const large = Array.from({ length: 100 }, (_, i) => 0.018 * Math.pow(0.06 / 0.018, i / 99));
  const easy = compareWithSiim(large, rows([85, 15]));
  assert.ok(easy);
  assert.equal(easy.bands[2].dataset, 1);
  assert.ok(easy.percentiles.find((p) => p.percentile === 50)!.ratio > 3);
  assert.equal(compareWithSiim([], rows([])), null);
});
