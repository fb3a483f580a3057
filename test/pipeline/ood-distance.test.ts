// The learned gate's distances against NumPy: the Ledoit-Wolf shrinkage as scikit-learn arranges it
// (ledoit_wolf_shrinkage, a different grouping of the same sums), the shrunk covariance, the
// Mahalanobis distance through numpy.linalg.inv, the kNN distance, and numpy.percentile's
// interpolation. The reference values were computed with NumPy 2.4 from the same closed-form data.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  fitKnn,
  fitMahalanobis,
  invertSpd,
  ledoitWolf,
  oodScores,
  percentile,
} from '../../src/pipeline/ood-distance.js';

const N = 12;
const D = 5;
const X = new Float64Array(N * D);
for (let i = 0; i < N; i++)
  for (let j = 0; j < D; j++)
    X[i * D + j] = Math.sin(i * 1.3 + j * 0.7) + 0.05 * i * (j + 1) + ((i * j) % 3 === 0 ? 0.3 : 0);
const QUERIES = Float64Array.from([0.5, -0.2, 1.0, 0.3, 0.0, ...X.slice(3 * D, 4 * D)]);

const close = (actual: number, expected: number, tolerance = 1e-10) =>
  assert.ok(Math.abs(actual - expected) <= tolerance * Math.max(1, Math.abs(expected)), `${actual} vs ${expected}`);

test('Ledoit-Wolf shrinkage and covariance equal the NumPy reference', () => {
  const { shrinkage, covariance } = ledoitWolf(X, D);
  close(shrinkage, 0.2394097644490747);
  close(covariance[0], 0.5922730839282514);
  close(covariance[1 * D + 3], 0.2439490273789725);
  close(covariance[3 * D + 1], 0.2439490273789725);
});

test('the inverse is an inverse; Mahalanobis distances equal the NumPy reference', () => {
  const { covariance } = ledoitWolf(X, D);
  const inverse = invertSpd(covariance, D);
  for (let a = 0; a < D; a++)
    for (let b = 0; b < D; b++) {
      let v = 0;
      for (let k = 0; k < D; k++) v += covariance[a * D + k] * inverse[k * D + b];
      close(v, a === b ? 1 : 0, 1e-12);
    }
  const model = fitMahalanobis(X, D);
  const [far, member] = oodScores(model, QUERIES);
  close(far, 2.545508803199001);
  close(member, 1.7786608037830072);
  assert.throws(() => invertSpd(new Float64Array([1, 1, 1, 1]), 2), /not positive definite/);
});

test('kNN: mean distance to the k nearest unit-length training rows', () => {
  const model = fitKnn(X, D, 3);
  const [far, member] = oodScores(model, QUERIES);
  close(far, 0.8608952163373783);
  close(member, 0.3063656715068202);
  assert.throws(() => fitKnn(X, D, N), /at least 13 images/);
  assert.throws(() => fitKnn(X, D, 0), /k must be/);
});

test('percentile interpolates as numpy.percentile; bad inputs are named', () => {
  close(
    percentile(
      Float64Array.from({ length: 10 }, (_, i) => i ** 1.5),
      99.5,
    ),
    26.80323376490863,
  );
  assert.equal(percentile([3, 1, 2], 50), 2);
  assert.equal(percentile([5], 99.5), 5);
  assert.throws(() => percentile([], 50), /no values/);
  assert.throws(() => ledoitWolf(new Float64Array(5), D), /at least 2 images/);
  assert.throws(() => ledoitWolf(Float64Array.from([1, Number.NaN, 0, 0, 0, 1, 1, 1, 1, 1]), D), /not finite/);
});
