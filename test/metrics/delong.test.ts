// DeLong's AUC variance against reference values from test/metrics/delong-reference.py (the O(mn)
// pairwise structural components in NumPy), among them Hanley & McNeil's CT rating table, whose AUC
// the 1982 paper gives as 0.893; and the midrank components against a brute-force pairwise count.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { delongAuc, midranks, structuralComponents } from '../../src/metrics/delong.js';
import { Rng } from '../../src/data/random.js';

const close = (a: number, b: number, what: string, tol = 1e-12) =>
  assert.ok(Math.abs(a - b) < tol, `${what}: ${a} vs ${b}`);

const expand = (counts: number[]) => counts.flatMap((c, r) => new Array<number>(c).fill(r + 1));

test("Hanley & McNeil's CT ratings: AUC 0.8932, DeLong SE 0.03072", () => {
  const normal = expand([33, 6, 6, 11, 2]);
  const abnormal = expand([3, 2, 2, 11, 33]);
  const d = delongAuc([...abnormal, ...normal], [...abnormal.map(() => 1), ...normal.map(() => 0)])!;
  close(d.auc, 0.893171061528059, 'auc');
  close(d.variance, 0.000943989270262985, 'variance');
  close(d.standardError, 0.0307244083793811, 'se');
  close(d.lower, 0.832952327658172, 'lower');
  close(d.upper, 0.953389795397947, 'upper');
});

test('small table with a tie across classes; the interval is clipped at 1', () => {
  const pos = [0.9, 0.8, 0.7, 0.55, 0.4, 0.35];
  const neg = [0.6, 0.5, 0.4, 0.3, 0.2, 0.1, 0.05];
  const d = delongAuc([...neg, ...pos], [...neg.map(() => 0), ...pos.map(() => 1)])!;
  close(d.auc, 0.845238095238095, 'auc');
  close(d.variance, 0.0123582766439909, 'variance');
  close(d.lower, 0.627353238438369, 'lower');
  assert.equal(d.upper, 1);
});

test('midrank components equal the pairwise count on random scores with ties', () => {
  const rng = new Rng(7);
  const scores = Array.from({ length: 60 }, () => Math.round(rng.next() * 20) / 20);
  const truth = scores.map((s) => (rng.next() < 0.3 + 0.4 * s ? 1 : 0));
  const { v10, v01 } = structuralComponents(scores, truth);
  const pos = scores.filter((_, i) => truth[i] === 1);
  const neg = scores.filter((_, i) => truth[i] === 0);
  const psi = (x: number, y: number) => (x > y ? 1 : x === y ? 0.5 : 0);
  pos.forEach((x, i) => close(v10[i], neg.reduce((s, y) => s + psi(x, y), 0) / neg.length, `v10[${i}]`));
  neg.forEach((y, j) => close(v01[j], pos.reduce((s, x) => s + psi(x, y), 0) / pos.length, `v01[${j}]`));
});

test('midranks average tied ranks', () => {
  assert.deepEqual(Array.from(midranks([3, 1, 3, 2])), [3.5, 1, 3.5, 2]);
});

test('fewer than two of a class gives null; bad labels throw', () => {
  assert.equal(delongAuc([0.1, 0.2, 0.9], [0, 0, 1]), null);
  assert.throws(() => delongAuc([0.1, 0.2], [0, 2]), /label 1 is 2/);
});
