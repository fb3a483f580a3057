// Segmentation metrics of validation batches, straight from the model's flat output: per image, the
// pixels whose probability reaches the threshold form the prediction, and the overlap counts go
// through segmentation-metrics.ts, where the SIIM convention (both empty: 1) is defined. Averages are
// per image, never batch-pooled.
import { scoreOverlap, type ImageSegmentationScore, type MaskOverlap } from './segmentation.js';

/** Overlap counts of each image of a batch: `probabilities` and `truth` hold N images of `pixels` values. */
export function batchOverlaps(
  probabilities: ArrayLike<number>,
  truth: ArrayLike<number>,
  n: number,
  threshold = 0.5,
): MaskOverlap[] {
  if (probabilities.length !== truth.length)
    throw new Error(`segmentation metrics: ${probabilities.length} predicted pixels for ${truth.length} truth pixels`);
  if (!Number.isInteger(n) || n < 1 || probabilities.length % n !== 0)
    throw new Error(`segmentation metrics: ${probabilities.length} pixels do not split into ${n} images`);
  const pixels = probabilities.length / n;
  const out: MaskOverlap[] = [];
  for (let image = 0; image < n; image++) {
    let intersection = 0;
    let truthArea = 0;
    let predictedArea = 0;
    for (let i = image * pixels, end = i + pixels; i < end; i++) {
      const inTruth = truth[i] >= 0.5 ? 1 : 0;
      const inPrediction = probabilities[i] >= threshold ? 1 : 0;
      truthArea += inTruth;
      predictedArea += inPrediction;
      intersection += inTruth & inPrediction;
    }
    out.push({ intersection, truthArea, predictedArea });
  }
  return out;
}

/** Per-image scores of a batch, named by the batch's ids. */
export function scoreBatch(
  ids: readonly string[],
  probabilities: ArrayLike<number>,
  truth: ArrayLike<number>,
  threshold = 0.5,
): ImageSegmentationScore[] {
  return batchOverlaps(probabilities, truth, ids.length, threshold).map((overlap, i) => scoreOverlap(ids[i], overlap));
}
