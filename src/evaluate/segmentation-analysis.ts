// How well the segmenter outlines what is there, on its own (every image segmented, whatever the
// classifier says): per-image Dice and IoU with the SIIM convention, means over all images and over
// truth-positive images only, the distribution on positives and how many of them are near-misses.
import {
  summariseSegmentation,
  type ImageSegmentationScore,
  type SegmentationSummary,
} from '../metrics/segmentation.js';

export interface SegmentationAnalysis {
  summary: SegmentationSummary;
  /** Truth-positive images whose IoU / Dice is below `lowCut`: outlines that missed. */
  lowCut: number;
  positivesBelowCutIou: number;
  positivesBelowCutDice: number;
  /** Counts of positive images' IoU and Dice in equal bins over [0, 1] (the last bin includes 1). */
  bins: number;
  iouHistogram: number[];
  diceHistogram: number[];
}

export function binCounts(values: readonly number[], bins: number): number[] {
  const counts = new Array<number>(bins).fill(0);
  for (const v of values) counts[Math.min(bins - 1, Math.max(0, Math.floor(v * bins)))]++;
  return counts;
}

export function analyseSegmentation(
  scores: readonly ImageSegmentationScore[],
  { lowCut = 0.1, bins = 10 } = {},
): SegmentationAnalysis {
  const positives = scores.filter((s) => s.truthPositive);
  return {
    summary: summariseSegmentation(scores),
    lowCut,
    positivesBelowCutIou: positives.filter((s) => s.iou < lowCut).length,
    positivesBelowCutDice: positives.filter((s) => s.dice < lowCut).length,
    bins,
    iouHistogram: binCounts(
      positives.map((s) => s.iou),
      bins,
    ),
    diceHistogram: binCounts(
      positives.map((s) => s.dice),
      bins,
    ),
  };
}
