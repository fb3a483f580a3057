// Which images the pipeline gets wrong, sorted into the groups a person looks at: false negatives
// and false positives, each split into confident errors (far from the threshold: the model is sure
// and wrong) and near-threshold errors (a small threshold change would fix them); and the best and
// worst segmentations of truth-positive images.
import type { ScoredLabel } from '../metrics/scored-label.js';
import type { ImageSegmentationScore } from '../metrics/segmentation.js';

export interface ClassifiedImage extends ScoredLabel {
  imageId: string;
}

export interface ErrorGroups<T> {
  /** |p - t| >= margin, most confident first. */
  confident: T[];
  /** |p - t| < margin, nearest the threshold first. */
  nearThreshold: T[];
}

export interface ClassificationErrors<T extends ClassifiedImage = ClassifiedImage> {
  threshold: number;
  margin: number;
  falseNegatives: ErrorGroups<T>;
  falsePositives: ErrorGroups<T>;
  /** Totals before any limit. */
  falseNegativeCount: number;
  falsePositiveCount: number;
}

function group<T extends ClassifiedImage>(
  errors: T[],
  threshold: number,
  margin: number,
  limit: number,
): ErrorGroups<T> {
  const distance = (r: T) => Math.abs(r.probability - threshold);
  const byId = (a: T, b: T) => (a.imageId < b.imageId ? -1 : a.imageId > b.imageId ? 1 : 0);
  const confident = errors.filter((r) => distance(r) >= margin).sort((a, b) => distance(b) - distance(a) || byId(a, b));
  const nearThreshold = errors
    .filter((r) => distance(r) < margin)
    .sort((a, b) => distance(a) - distance(b) || byId(a, b));
  return { confident: confident.slice(0, limit), nearThreshold: nearThreshold.slice(0, limit) };
}

/** False negatives (positive, p < t) and false positives (negative, p >= t), grouped; at most `limit` per group. */
export function classificationErrors<T extends ClassifiedImage>(
  records: readonly T[],
  threshold: number,
  { margin = 0.1, limit = Infinity } = {},
): ClassificationErrors<T> {
  const falseNegatives = records.filter((r) => r.label === 1 && r.probability < threshold);
  const falsePositives = records.filter((r) => r.label === 0 && r.probability >= threshold);
  return {
    threshold,
    margin,
    falseNegatives: group(falseNegatives, threshold, margin, limit),
    falsePositives: group(falsePositives, threshold, margin, limit),
    falseNegativeCount: falseNegatives.length,
    falsePositiveCount: falsePositives.length,
  };
}

export interface SegmentationExtremes {
  /** Highest IoU first. */
  best: ImageSegmentationScore[];
  /** Lowest IoU first. */
  worst: ImageSegmentationScore[];
}

/** The best and worst truth-positive segmentations by IoU, `count` of each (disjoint when there are few). */
export function segmentationExtremes(scores: readonly ImageSegmentationScore[], count = 12): SegmentationExtremes {
  const positives = scores
    .filter((s) => s.truthPositive)
    .sort((a, b) => a.iou - b.iou || (a.imageId < b.imageId ? -1 : a.imageId > b.imageId ? 1 : 0));
  const worst = positives.slice(0, Math.min(count, Math.ceil(positives.length / 2)));
  const best = positives.slice(worst.length).reverse().slice(0, count);
  return { best, worst };
}
