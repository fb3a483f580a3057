// The thresholds an evaluation would choose on its images: the classifier threshold sweep and its
// objective, and, when asked, the joint search of classifier threshold, pixel threshold and minimum
// area; then, with --write-bundle, the choice written into the bundle with where it came from.
import path from 'node:path';
import type { BundleThresholds } from '../pipeline/bundle-manifest.js';
import { updateBundleThresholds } from '../pipeline/bundle.js';
import type { TripletResult } from './evaluation-file.js';
import { chooseOperatingPoint, type OperatingObjective, type OperatingPoint } from './operating-point.js';
import { sweepThresholds, thresholdGrid, type PipelineRecord, type SweepRow } from './threshold-sweep.js';
import {
  DEFAULT_TRIPLET_GRID,
  scoreTriplet,
  searchTriplet,
  type TripletGrid,
  type TripletImage,
} from './triplet-search.js';
import type { SplitChoice } from './validation-items.js';

export interface ThresholdChoice {
  sweep: SweepRow[];
  objective: OperatingObjective;
  operatingPoint: OperatingPoint;
  triplet: TripletResult | null;
}

/** The triplet grid: the default grid over the allowed classifier thresholds, with the bundle's own values added. */
export function tripletGrid(
  sweep: readonly SweepRow[],
  objective: OperatingObjective,
  operatingPoint: OperatingPoint,
  bundle: BundleThresholds,
): TripletGrid {
  const allowed = sweep
    .filter((r) => objective.kind === 'max-siim' || (r.recall ?? -1) >= objective.floor)
    .map((r) => r.threshold);
  const classifierThresholds = allowed.length > 0 ? allowed : [operatingPoint.threshold];
  // The bundle's own values join the grid, so the search never reports worse than what is there.
  const withValue = (values: readonly number[], v: number) => [...new Set([...values, v])].sort((a, b) => a - b);
  return {
    classifierThresholds: allowed.includes(bundle.classifier)
      ? withValue(classifierThresholds, bundle.classifier)
      : classifierThresholds,
    pixelThresholds: withValue(DEFAULT_TRIPLET_GRID.pixelThresholds, bundle.pixel),
    minAreas: withValue(DEFAULT_TRIPLET_GRID.minAreas, bundle.minArea),
  };
}

export function chooseThresholds(
  records: readonly PipelineRecord[],
  tripletImages: readonly TripletImage[],
  bundle: BundleThresholds,
  options: { minRecall?: number; searchTriplet?: boolean },
): ThresholdChoice {
  const sweep = sweepThresholds(records, thresholdGrid());
  const objective: OperatingObjective =
    options.minRecall === undefined ? { kind: 'max-siim' } : { kind: 'min-recall', floor: options.minRecall };
  const operatingPoint = chooseOperatingPoint(sweep, objective);
  let triplet: TripletResult | null = null;
  if (options.searchTriplet) {
    const grid = tripletGrid(sweep, objective, operatingPoint, bundle);
    const search = searchTriplet(tripletImages, grid);
    triplet = {
      best: search.best,
      top: search.top,
      tolerance: search.tolerance,
      bundleTripletScore: scoreTriplet(tripletImages, {
        classifierThreshold: bundle.classifier,
        pixelThreshold: bundle.pixel,
        minArea: bundle.minArea,
      }),
      gridPoints: search.scores.length,
      searchSide: tripletImages[0].width,
      classifierThresholds: [...grid.classifierThresholds],
      scores: search.scores,
    };
  }
  return { sweep, objective, operatingPoint, triplet };
}

/** The thresholds --write-bundle freezes: the triplet's when searched, else the sweep's classifier threshold. */
export function chosenThresholds(choice: ThresholdChoice, bundle: BundleThresholds): BundleThresholds {
  const best = choice.triplet?.best;
  return best
    ? { classifier: best.classifierThreshold, pixel: best.pixelThreshold, minArea: best.minArea }
    : { ...bundle, classifier: choice.operatingPoint.threshold };
}

/** The images of an evaluation, in words. */
export function splitWords(split: SplitChoice): string {
  if (split.split === 'val') return `validation split, fraction ${split.validationFraction}, seed ${split.seed}`;
  if (split.split === 'out-of-fold') return `out-of-fold predictions: ${split.source}`;
  return 'all images';
}

export async function writeChosenThresholds(
  bundleDir: string,
  choice: ThresholdChoice,
  bundle: BundleThresholds,
  evaluated: { data: string; split: SplitChoice; images: number; tta: boolean },
): Promise<BundleThresholds> {
  const written = chosenThresholds(choice, bundle);
  const { triplet, operatingPoint } = choice;
  const split = evaluated.split;
  await updateBundleThresholds(bundleDir, written, {
    rule: triplet
      ? `joint triplet search by pneumo evaluate: ${operatingPoint.description}, smallest minimum area within one image of the best`
      : `classifier threshold sweep by pneumo evaluate: ${operatingPoint.description}`,
    split: `${path.resolve(evaluated.data)} (${splitWords(split)}${evaluated.tta ? ', with flip TTA: predict with --tta hflip' : ''})`,
    images: evaluated.images,
    at: new Date().toISOString(),
    siimScore: triplet ? triplet.best.siimScore : operatingPoint.row.siimScore,
  });
  return written;
}
