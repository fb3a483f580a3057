// Joint search over the pipeline's three post-processing numbers, the "triplet" of the top SIIM
// solutions: classifier threshold, pixel threshold, minimum mask area. The segmenter's probability
// maps are computed once per image at a reduced resolution; for each pixel threshold one pass over a
// map gives the predicted area and its overlap with the truth, and every (classifier threshold,
// minimum area) pair is then scored from those counts alone, so the whole grid costs one pass per
// pixel threshold.
//
// Conventions (the same as the predictor's): an image is segmented when its probability reaches the
// classifier threshold (p >= t); a pixel is on when its probability is above the pixel threshold
// (q > t); a mask whose area is below the minimum area is dropped whole. The minimum area is given in
// pixels of a 1024x1024 image, i.e. as a share of the image, so it scales to any map size.
//
// The minimum area removes small pneumothoraces along with spurious blobs (a quarter of SIIM's masks
// are under 0.4% of the image, 4200 px), so the search takes the smallest one whose best score is
// less than one image's worth (1/N) below the overall best: on a small validation split a larger area
// can win by less than one image and still cost a test set's small masks all their Dice.
import { SIIM_SIZE } from '../data/rle.js';
import { thresholdGrid } from './threshold-sweep.js';

export interface TripletImage {
  imageId: string;
  /** Classifier probability. */
  probability: number;
  /**
   * Segmenter probabilities, row-major, width x height: floats in [0, 1], or bytes holding
   * round(255 p) (a quarter of the memory; pixel thresholds then resolve to 1/255).
   */
  map: Float32Array | Uint8Array;
  /** Truth mask at the same size, 0/1. */
  truth: Uint8Array;
  width: number;
  height: number;
  /** The image's label; taken from the truth map when absent (a mask too small to survive the reduction then reads as negative). */
  label?: 0 | 1;
}

export interface Triplet {
  classifierThreshold: number;
  pixelThreshold: number;
  /** Pixels at 1024x1024 scale. */
  minArea: number;
}

export interface TripletScore extends Triplet {
  siimScore: number;
}

export interface TripletGrid {
  classifierThresholds: readonly number[];
  pixelThresholds: readonly number[];
  minAreas: readonly number[];
}

export const DEFAULT_TRIPLET_GRID: TripletGrid = {
  classifierThresholds: thresholdGrid(0.05, 0.95, 0.05),
  pixelThresholds: thresholdGrid(0.2, 0.8, 0.05),
  minAreas: [0, 250, 500, 1000, 1500, 2000, 3000, 4000, 6000],
};

export interface TripletSearchResult {
  /** The chosen triplet: the smallest minimum area within `tolerance` of the top score, at its best. */
  best: TripletScore;
  /** The highest-scoring triplet of the grid (the chosen one when no smaller area comes close). */
  top: TripletScore;
  /** Scores closer than this to the top count as equal for the minimum area (1 / images). */
  tolerance: number;
  /** Every grid point, in grid order (classifier threshold outermost, then pixel threshold, then area). */
  scores: TripletScore[];
  images: number;
}

/** One image's counts at each pixel threshold of a grid, from which any triplet of that grid is scored. */
export interface ImageCounts {
  probability: number;
  label: 0 | 1;
  truthArea: number;
  /** Per pixel threshold: predicted area and overlap with the truth, in map pixels. */
  area: Float64Array;
  intersection: Float64Array;
  /** Map pixels per 1024-scale pixel. */
  areaScale: number;
}

export function countImage(image: TripletImage, pixelThresholds: readonly number[]): ImageCounts {
  const { map, truth, width, height } = image;
  const total = width * height;
  if (map.length !== total || truth.length !== total)
    throw new Error(
      `triplet search: image ${image.imageId} has a map of ${map.length} and a truth of ${truth.length} values, expected ${total}`,
    );
  const scale = map instanceof Uint8Array ? 255 : 1;
  const cuts = pixelThresholds.map((t) => t * scale);
  const area = new Float64Array(cuts.length);
  const intersection = new Float64Array(cuts.length);
  let truthArea = 0;
  for (let i = 0; i < total; i++) {
    const value = map[i];
    const inTruth = truth[i] !== 0;
    if (inTruth) truthArea++;
    for (let k = 0; k < cuts.length; k++) {
      if (value > cuts[k]) {
        area[k]++;
        if (inTruth) intersection[k]++;
      }
    }
  }
  return {
    probability: image.probability,
    label: image.label ?? (truthArea > 0 ? 1 : 0),
    truthArea,
    area,
    intersection,
    areaScale: total / (SIIM_SIZE * SIIM_SIZE),
  };
}

/** Whether a mask survives the k-th pixel threshold and the minimum area (whatever the classifier says). */
export function maskSurvives(c: ImageCounts, k: number, minArea: number): boolean {
  return c.area[k] > 0 && c.area[k] >= minArea * c.areaScale;
}

/** The image's Dice in the pipeline at this triplet (SIIM convention: both empty scores 1). */
export function imageDice(c: ImageCounts, classifierThreshold: number, k: number, minArea: number): number {
  const segmented = c.probability >= classifierThreshold && maskSurvives(c, k, minArea);
  if (!segmented) return c.truthArea === 0 ? 1 : 0;
  return (2 * c.intersection[k]) / (c.area[k] + c.truthArea);
}

// Ties go to the higher classifier threshold, then the larger minimum area, then the higher pixel
// threshold: the same score from fewer, smaller predicted masks.
function isBetter(a: TripletScore, b: TripletScore): boolean {
  if (a.siimScore !== b.siimScore) return a.siimScore > b.siimScore;
  if (a.classifierThreshold !== b.classifierThreshold) return a.classifierThreshold > b.classifierThreshold;
  if (a.minArea !== b.minArea) return a.minArea > b.minArea;
  return a.pixelThreshold > b.pixelThreshold;
}

export function searchTriplet(
  images: readonly TripletImage[],
  grid: TripletGrid = DEFAULT_TRIPLET_GRID,
): TripletSearchResult {
  if (images.length === 0) throw new Error('triplet search: no image');
  for (const [name, values] of Object.entries(grid) as [string, readonly number[]][])
    if (values.length === 0) throw new Error(`triplet search: the grid has no ${name}`);
  const counts = images.map((image) => countImage(image, grid.pixelThresholds));
  const scores: TripletScore[] = [];
  let best: TripletScore | null = null;
  for (const classifierThreshold of grid.classifierThresholds) {
    for (let k = 0; k < grid.pixelThresholds.length; k++) {
      for (const minArea of grid.minAreas) {
        let sum = 0;
        for (const c of counts) sum += imageDice(c, classifierThreshold, k, minArea);
        const score: TripletScore = {
          classifierThreshold,
          pixelThreshold: grid.pixelThresholds[k],
          minArea,
          siimScore: sum / counts.length,
        };
        scores.push(score);
        if (best === null || isBetter(score, best)) best = score;
      }
    }
  }
  const tolerance = 1 / counts.length;
  let chosen: TripletScore = best!;
  for (const score of scores) {
    // A whole image's worth (or more) of difference is real; the epsilon absorbs rounding in the means.
    if (best!.siimScore - score.siimScore > tolerance - 1e-9) continue;
    if (score.minArea < chosen.minArea || (score.minArea === chosen.minArea && isBetter(score, chosen))) chosen = score;
  }
  return { best: chosen, top: best!, tolerance, scores, images: images.length };
}

/** The SIIM score of one triplet on the same reduced maps (e.g. the bundle's current triplet). */
export function scoreTriplet(images: readonly TripletImage[], triplet: Triplet): number {
  const grid = {
    classifierThresholds: [triplet.classifierThreshold],
    pixelThresholds: [triplet.pixelThreshold],
    minAreas: [triplet.minArea],
  };
  return searchTriplet(images, grid).best.siimScore;
}
