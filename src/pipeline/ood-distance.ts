// The learned gate's distances (no engine: plain arrays). An image is described by its pooled encoder
// features; "how unlike the training images" is one of two distances from them:
// - mahalanobis: the Mahalanobis distance to the training features' mean under their covariance,
//   shrunk towards a scaled identity by the Ledoit-Wolf rule (Ledoit & Wolf 2004, "A well-conditioned
//   estimator for large-dimensional covariance matrices"), since a few hundred images cannot fill a
//   covariance of a few hundred features;
// - knn: the mean Euclidean distance to the k nearest training features after scaling each to unit
//   length (Sun et al. 2022, "Out-of-distribution detection with deep nearest neighbors").
// Rows are images, row-major in one Float64Array (n x d). Before either, each feature may be taken
// to its signed square root: pooled ReLU activations are skewed to the right, and the root brings
// them nearer the Gaussian that a Mahalanobis distance assumes (on the demo's bundle it cut the
// test films' false flags at the same percentile; docs/input-gate.md).

export type OodMethod = 'mahalanobis' | 'knn';
export const OOD_METHODS: readonly OodMethod[] = ['mahalanobis', 'knn'];
export type FeatureTransform = 'none' | 'signed-sqrt';
export const FEATURE_TRANSFORMS: readonly FeatureTransform[] = ['none', 'signed-sqrt'];

/** The rows with the transform applied (a copy). */
export function transformFeatures(rows: ArrayLike<number>, transform: FeatureTransform): Float64Array {
  const out = Float64Array.from(rows);
  if (transform === 'signed-sqrt')
    for (let i = 0; i < out.length; i++) out[i] = Math.sign(out[i]) * Math.sqrt(Math.abs(out[i]));
  return out;
}

export interface MahalanobisModel {
  method: 'mahalanobis';
  dim: number;
  transform: FeatureTransform;
  mean: Float64Array;
  /** The inverse of the shrunk covariance, d x d row-major. */
  precision: Float64Array;
  /** The Ledoit-Wolf shrinkage intensity in [0, 1]. */
  shrinkage: number;
}

export interface KnnModel {
  method: 'knn';
  dim: number;
  transform: FeatureTransform;
  k: number;
  /** The training features, each scaled to unit length, n x d row-major. */
  bank: Float64Array;
}

export type OodModel = MahalanobisModel | KnnModel;

function checkRows(rows: Float64Array, dim: number, least: number): number {
  if (!Number.isInteger(dim) || dim < 1)
    throw new RangeError(`feature dimension must be a positive integer, got ${dim}`);
  if (rows.length % dim !== 0) throw new RangeError(`${rows.length} values are not whole rows of ${dim}`);
  const n = rows.length / dim;
  if (n < least) throw new RangeError(`the gate needs at least ${least} images to fit, got ${n}`);
  for (let i = 0; i < rows.length; i++)
    if (!Number.isFinite(rows[i]))
      throw new RangeError(`feature ${i % dim} of image ${Math.floor(i / dim)} is not finite`);
  return n;
}

/** The Ledoit-Wolf shrunk covariance of the rows: (1 - delta) S + delta (tr S / d) I, and delta. */
export function ledoitWolf(
  rows: Float64Array,
  dim: number,
): { mean: Float64Array; covariance: Float64Array; shrinkage: number } {
  const n = checkRows(rows, dim, 2);
  const d = dim;
  const mean = new Float64Array(d);
  for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) mean[j] += rows[i * d + j];
  for (let j = 0; j < d; j++) mean[j] /= n;
  const centred = new Float64Array(n * d);
  for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) centred[i * d + j] = rows[i * d + j] - mean[j];
  // S = X'X / n (the maximum-likelihood covariance, as Ledoit and Wolf define it).
  const s = new Float64Array(d * d);
  for (let i = 0; i < n; i++) {
    const x = centred.subarray(i * d, (i + 1) * d);
    for (let a = 0; a < d; a++) {
      const xa = x[a];
      if (xa === 0) continue;
      const row = a * d;
      for (let b = a; b < d; b++) s[row + b] += xa * x[b];
    }
  }
  for (let a = 0; a < d; a++)
    for (let b = a; b < d; b++) {
      s[a * d + b] /= n;
      s[b * d + a] = s[a * d + b];
    }
  let trace = 0;
  for (let a = 0; a < d; a++) trace += s[a * d + a];
  const mu = trace / d;
  // d2 = ||S - mu I||^2 / d; b2 = (1/n^2) sum_k ||x_k x_k' - S||^2 / d, capped at d2.
  let sNorm2 = 0;
  for (let i = 0; i < d * d; i++) sNorm2 += s[i] * s[i];
  const d2 = (sNorm2 - 2 * mu * trace + mu * mu * d) / d;
  let bSum = 0;
  const sx = new Float64Array(d);
  for (let i = 0; i < n; i++) {
    const x = centred.subarray(i * d, (i + 1) * d);
    let norm2 = 0;
    for (let a = 0; a < d; a++) norm2 += x[a] * x[a];
    let xsx = 0;
    for (let a = 0; a < d; a++) {
      let v = 0;
      const row = a * d;
      for (let b = 0; b < d; b++) v += s[row + b] * x[b];
      sx[a] = v;
      xsx += x[a] * v;
    }
    bSum += norm2 * norm2 - 2 * xsx + sNorm2;
  }
  const b2 = Math.min(bSum / (n * n) / d, d2);
  const shrinkage = d2 > 0 ? b2 / d2 : 1;
  const covariance = new Float64Array(d * d);
  for (let i = 0; i < d * d; i++) covariance[i] = (1 - shrinkage) * s[i];
  for (let a = 0; a < d; a++) covariance[a * d + a] += shrinkage * mu;
  return { mean, covariance, shrinkage };
}

/** The inverse of a symmetric positive-definite matrix through its Cholesky factor. */
export function invertSpd(matrix: Float64Array, d: number): Float64Array {
  const l = new Float64Array(d * d);
  for (let j = 0; j < d; j++) {
    let sum = matrix[j * d + j];
    for (let k = 0; k < j; k++) sum -= l[j * d + k] * l[j * d + k];
    if (!(sum > 0)) throw new RangeError('the covariance is not positive definite (features constant?)');
    const ljj = Math.sqrt(sum);
    l[j * d + j] = ljj;
    for (let i = j + 1; i < d; i++) {
      let v = matrix[i * d + j];
      for (let k = 0; k < j; k++) v -= l[i * d + k] * l[j * d + k];
      l[i * d + j] = v / ljj;
    }
  }
  // L^-1 (lower triangular), then A^-1 = L^-T L^-1.
  const inv = new Float64Array(d * d);
  for (let j = 0; j < d; j++) {
    inv[j * d + j] = 1 / l[j * d + j];
    for (let i = j + 1; i < d; i++) {
      let v = 0;
      for (let k = j; k < i; k++) v -= l[i * d + k] * inv[k * d + j];
      inv[i * d + j] = v / l[i * d + i];
    }
  }
  const out = new Float64Array(d * d);
  for (let a = 0; a < d; a++)
    for (let b = a; b < d; b++) {
      let v = 0;
      for (let k = b; k < d; k++) v += inv[k * d + a] * inv[k * d + b];
      out[a * d + b] = v;
      out[b * d + a] = v;
    }
  return out;
}

export function fitMahalanobis(
  rows: Float64Array,
  dim: number,
  transform: FeatureTransform = 'none',
): MahalanobisModel {
  const { mean, covariance, shrinkage } = ledoitWolf(transformFeatures(rows, transform), dim);
  return { method: 'mahalanobis', dim, transform, mean, precision: invertSpd(covariance, dim), shrinkage };
}

function unitRows(rows: Float64Array, dim: number): Float64Array {
  const out = new Float64Array(rows.length);
  for (let i = 0; i < rows.length; i += dim) {
    let norm2 = 0;
    for (let j = 0; j < dim; j++) norm2 += rows[i + j] * rows[i + j];
    const scale = norm2 > 0 ? 1 / Math.sqrt(norm2) : 0;
    for (let j = 0; j < dim; j++) out[i + j] = rows[i + j] * scale;
  }
  return out;
}

export function fitKnn(rows: Float64Array, dim: number, k = 5, transform: FeatureTransform = 'none'): KnnModel {
  const n = checkRows(rows, dim, k + 1);
  if (!Number.isInteger(k) || k < 1 || k >= n)
    throw new RangeError(`k must be a whole number in [1, ${n - 1}], got ${k}`);
  return { method: 'knn', dim, transform, k, bank: unitRows(transformFeatures(rows, transform), dim) };
}

export function fitOod(
  method: OodMethod,
  rows: Float64Array,
  dim: number,
  transform: FeatureTransform = 'none',
): OodModel {
  return method === 'mahalanobis' ? fitMahalanobis(rows, dim, transform) : fitKnn(rows, dim, 5, transform);
}

/** The distance of each row (n x dim) from the fitted training features; larger is further out. */
export function oodScores(model: OodModel, given: Float64Array | Float32Array): Float64Array {
  const d = model.dim;
  const rows = transformFeatures(given, model.transform);
  if (rows.length % d !== 0) throw new RangeError(`${rows.length} values are not whole rows of ${d} features`);
  const n = rows.length / d;
  const scores = new Float64Array(n);
  if (model.method === 'mahalanobis') {
    const diff = new Float64Array(d);
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < d; j++) diff[j] = rows[i * d + j] - model.mean[j];
      let q = 0;
      for (let a = 0; a < d; a++) {
        let v = 0;
        const row = a * d;
        for (let b = 0; b < d; b++) v += model.precision[row + b] * diff[b];
        q += diff[a] * v;
      }
      scores[i] = Math.sqrt(Math.max(0, q));
    }
    return scores;
  }
  const queries = unitRows(rows, d);
  const bankSize = model.bank.length / d;
  const nearest = new Float64Array(model.k);
  for (let i = 0; i < n; i++) {
    nearest.fill(Infinity);
    for (let m = 0; m < bankSize; m++) {
      let dist2 = 0;
      for (let j = 0; j < d; j++) {
        const v = queries[i * d + j] - model.bank[m * d + j];
        dist2 += v * v;
      }
      // Insertion into the k smallest so far, kept sorted.
      if (dist2 < nearest[model.k - 1]) {
        let p = model.k - 1;
        while (p > 0 && nearest[p - 1] > dist2) {
          nearest[p] = nearest[p - 1];
          p--;
        }
        nearest[p] = dist2;
      }
    }
    let sum = 0;
    for (let p = 0; p < model.k; p++) sum += Math.sqrt(nearest[p]);
    scores[i] = sum / model.k;
  }
  return scores;
}

/** The q-th percentile (0..100) of values, linearly interpolated between order statistics. */
export function percentile(values: ArrayLike<number>, q: number): number {
  if (values.length === 0) throw new RangeError('percentile of no values');
  const sorted = Float64Array.from(values).sort();
  const position = (Math.min(100, Math.max(0, q)) / 100) * (sorted.length - 1);
  const lo = Math.floor(position);
  const hi = Math.min(sorted.length - 1, lo + 1);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (position - lo);
}
