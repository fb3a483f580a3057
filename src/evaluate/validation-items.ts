// The images an evaluation runs on. With split "val" they are exactly the validation images training
// held out: the same split function (stratifiedSplit), fraction and seed, read from the training
// provenance in the bundle unless given.
import { stratifiedSplit } from '../data/split.js';
import type { DatasetItem } from '../data/dataset.js';
import type { BundleManifest } from '../pipeline/bundle-manifest.js';

export type EvaluationSplit = 'val' | 'all';

export interface SplitChoice {
  split: EvaluationSplit;
  validationFraction: number | null;
  seed: number | null;
  /** Where the fraction and seed came from, in words. */
  source: string;
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
