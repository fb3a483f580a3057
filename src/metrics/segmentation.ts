// Per-image overlap metrics for segmentation, with the SIIM-ACR convention for empty masks written here,
// where the metrics are defined:
//   - truth and prediction both empty: Dice = IoU = 1 (a correct "no pneumothorax");
//   - exactly one of them empty: Dice = IoU = 0;
//   - otherwise Dice = 2|T∩P| / (|T| + |P|), IoU = |T∩P| / |T∪P|.
// The SIIM score is the mean of the per-image Dice over all images, empty ones included; the means over
// positive images only (truth not empty) say how well the segmenter outlines what is there.
import type { Mask } from '../data/image.js';

/** Pixel counts of one truth/prediction pair. */
export interface MaskOverlap {
  intersection: number;
  truthArea: number;
  predictedArea: number;
}

/** Dice from pixel counts, SIIM convention (both empty: 1). */
export function diceFromOverlap({ intersection, truthArea, predictedArea }: MaskOverlap): number {
  const total = truthArea + predictedArea;
  return total === 0 ? 1 : (2 * intersection) / total;
}

/** IoU (Jaccard) from pixel counts, SIIM convention (both empty: 1). */
export function iouFromOverlap({ intersection, truthArea, predictedArea }: MaskOverlap): number {
  const union = truthArea + predictedArea - intersection;
  return union === 0 ? 1 : intersection / union;
}

export function maskOverlap(truth: Mask, predicted: Mask): MaskOverlap {
  if (truth.width !== predicted.width || truth.height !== predicted.height) {
    throw new Error(
      `masks differ in size: truth ${truth.width}x${truth.height}, prediction ${predicted.width}x${predicted.height}`,
    );
  }
  let intersection = 0;
  let truthArea = 0;
  let predictedArea = 0;
  const t = truth.data;
  const p = predicted.data;
  for (let i = 0; i < t.length; i++) {
    const inTruth = t[i] !== 0 ? 1 : 0;
    const inPrediction = p[i] !== 0 ? 1 : 0;
    truthArea += inTruth;
    predictedArea += inPrediction;
    intersection += inTruth & inPrediction;
  }
  return { intersection, truthArea, predictedArea };
}

export function dice(truth: Mask, predicted: Mask): number {
  return diceFromOverlap(maskOverlap(truth, predicted));
}

export function iou(truth: Mask, predicted: Mask): number {
  return iouFromOverlap(maskOverlap(truth, predicted));
}

/** The scores of one image. */
export interface ImageSegmentationScore {
  imageId: string;
  dice: number;
  iou: number;
  /** True when the truth mask has pixels (a positive image). */
  truthPositive: boolean;
  predictedPositive: boolean;
}

export function scoreOverlap(imageId: string, overlap: MaskOverlap): ImageSegmentationScore {
  return {
    imageId,
    dice: diceFromOverlap(overlap),
    iou: iouFromOverlap(overlap),
    truthPositive: overlap.truthArea > 0,
    predictedPositive: overlap.predictedArea > 0,
  };
}

export function scoreSegmentation(imageId: string, truth: Mask, predicted: Mask): ImageSegmentationScore {
  return scoreOverlap(imageId, maskOverlap(truth, predicted));
}

/** Means over images; a mean over no image is null. */
export interface SegmentationSummary {
  images: number;
  /** Mean Dice over all images: the SIIM score. */
  meanDice: number | null;
  meanIou: number | null;
  /** Images whose truth has pixels, and the means over them only. */
  positiveImages: number;
  meanDicePositive: number | null;
  meanIouPositive: number | null;
  /** Images whose truth is empty; their Dice is 1 when the prediction is empty too, else 0. */
  negativeImages: number;
  meanDiceNegative: number | null;
}

function mean(values: readonly number[]): number | null {
  if (values.length === 0) return null;
  let sum = 0;
  for (const v of values) sum += v;
  return sum / values.length;
}

export function summariseSegmentation(scores: readonly ImageSegmentationScore[]): SegmentationSummary {
  const positives = scores.filter((s) => s.truthPositive);
  const negatives = scores.filter((s) => !s.truthPositive);
  return {
    images: scores.length,
    meanDice: mean(scores.map((s) => s.dice)),
    meanIou: mean(scores.map((s) => s.iou)),
    positiveImages: positives.length,
    meanDicePositive: mean(positives.map((s) => s.dice)),
    meanIouPositive: mean(positives.map((s) => s.iou)),
    negativeImages: negatives.length,
    meanDiceNegative: mean(negatives.map((s) => s.dice)),
  };
}
