// The images an evaluation runs on. With split "val" they are exactly the validation images training
// held out: the same split function (stratifiedSplit), fraction and seed, read from the training
// provenance in the bundle unless given; and, when the bundle lists its training images, checked
// against them, since another label file gives the same split function other images.
import { stratifiedSplit } from '../data/split.js';
import type { DatasetItem } from '../data/dataset.js';
import type { BundleManifest } from '../pipeline/bundle-manifest.js';

/** val: the split training held out; all: every image; out-of-fold: each image by the fold model that held it out. */
export type EvaluationSplit = 'val' | 'all' | 'out-of-fold';

export interface SplitChoice {
  split: EvaluationSplit;
  validationFraction: number | null;
  seed: number | null;
  /** Where the fraction and seed came from, in words. */
  source: string;
  /**
   * How many of the chosen images either model trained on (bundle's images.json); null when the
   * bundle does not record its training images, so nothing could be checked.
   */
  trainingOverlap?: number | null;
}

/** A validation split that holds images the bundle was trained on: its scores would be optimistic. */
export class TrainingOverlapError extends Error {
  override name = 'TrainingOverlapError';
}

/**
 * Counts the chosen images that are training images. On a validation split any is refused (one
 * line, with an example id) unless `allowOverlap`: the usual cause is a label file or split other than
 * the one training used, and the scores would then be measured on what the models learnt from.
 */
export function checkTrainingOverlap(
  items: readonly DatasetItem[],
  trainingIds: ReadonlySet<string> | null,
  split: EvaluationSplit,
  allowOverlap = false,
): number | null {
  if (trainingIds === null) return null;
  const overlapping = items.filter((item) => trainingIds.has(item.imageId));
  if (overlapping.length > 0 && split === 'val' && !allowOverlap)
    throw new TrainingOverlapError(
      `the validation split holds ${overlapping.length} of ${items.length} images the bundle was trained on ` +
        `(e.g. ${overlapping[0].imageId}): these labels or this split are not training's; ` +
        'evaluate with the labels and split the models were trained with, or --allow-overlap to score anyway',
    );
  return overlapping.length;
}

type SplitRecord = { validationFraction?: unknown; seed?: unknown } | null | undefined;

/** The split training used, from the classifier's provenance (else the segmenter's). */
export function trainingSplit(
  manifest: BundleManifest,
): { validationFraction: number; seed: number; from: string } | null {
  for (const role of ['classifier', 'segmenter'] as const) {
    const split = manifest.provenance[role]?.split as SplitRecord;
    if (split && typeof split.validationFraction === 'number' && typeof split.seed === 'number')
      return { validationFraction: split.validationFraction, seed: split.seed, from: `the ${role} run's provenance` };
  }
  return null;
}

export function chooseItems(
  items: readonly DatasetItem[],
  manifest: BundleManifest,
  options: { split: EvaluationSplit; validationFraction?: number; seed?: number },
): { items: DatasetItem[]; choice: SplitChoice } {
  if (options.split === 'all')
    return {
      items: [...items],
      choice: { split: 'all', validationFraction: null, seed: null, source: 'every labelled image' },
    };
  const recorded = trainingSplit(manifest);
  const validationFraction = options.validationFraction ?? recorded?.validationFraction;
  const seed = options.seed ?? recorded?.seed;
  if (validationFraction === undefined || seed === undefined)
    throw new Error(
      'the bundle records no training split; give --val-fraction and --seed (as used in training) or --split all',
    );
  const given = options.validationFraction !== undefined || options.seed !== undefined;
  const source = given ? 'given on the command line' : recorded!.from;
  const { validation } = stratifiedSplit(items, { validationFraction, seed });
  return { items: validation, choice: { split: 'val', validationFraction, seed, source } };
}
