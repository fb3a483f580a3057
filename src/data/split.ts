// Deterministic, stratified splits of labelled images: train/validation and K folds. The same seed and
// the same set of images give the same split whatever the order the images come in (each class is
// sorted by ImageId before its seeded shuffle), and each class is shuffled by its own generator, so
// adding negatives does not move any positive from one side to the other.
import { Rng } from './random.js';

/** What a split needs of an item; DatasetItem fits. */
export interface Labelled {
  imageId: string;
  label: 0 | 1;
}

export interface TrainValidationSplit<T> {
  train: T[];
  validation: T[];
}

export interface SplitOptions {
  /** Share of each class that goes to validation, rounded per class. Default 0.2. */
  validationFraction?: number;
  seed?: number;
}

function byImageId(a: Labelled, b: Labelled): number {
  return a.imageId < b.imageId ? -1 : a.imageId > b.imageId ? 1 : 0;
}

/** Each class (negatives first, then positives) sorted by ImageId, then shuffled by its own seeded generator. */
function shuffledClasses<T extends Labelled>(items: readonly T[], seed: number): T[][] {
  const seen = new Set<string>();
  for (const item of items) {
    if (seen.has(item.imageId))
      throw new Error(`split: image ${item.imageId} appears twice; an image must be in one place only`);
    seen.add(item.imageId);
  }
  return ([0, 1] as const).map((label) => {
    const members = items.filter((i) => i.label === label).sort(byImageId);
    return Rng.derive(seed, 0x5eed, label).shuffle(members);
  });
}

/** Keeps the input order in each part, so that the split reads like the dataset. */
function partition<T extends Labelled>(items: readonly T[], chosen: Set<string>): TrainValidationSplit<T> {
  return {
    train: items.filter((i) => !chosen.has(i.imageId)),
    validation: items.filter((i) => chosen.has(i.imageId)),
  };
}

/** A train/validation split with each class's share of validation equal to the fraction (rounded per class). */
export function stratifiedSplit<T extends Labelled>(
  items: readonly T[],
  options: SplitOptions = {},
): TrainValidationSplit<T> {
  const fraction = options.validationFraction ?? 0.2;
  if (!(fraction >= 0 && fraction <= 1))
    throw new Error(`split: validation fraction must be between 0 and 1, got ${fraction}`);
  const chosen = new Set<string>();
  for (const members of shuffledClasses(items, options.seed ?? 0)) {
    const count = Math.round(members.length * fraction);
    for (const item of members.slice(0, count)) chosen.add(item.imageId);
  }
  return partition(items, chosen);
}

/**
 * K stratified folds that partition the items: fold sizes differ by at most one, and so do the counts
 * of each class across folds. Each fold keeps the input order.
 */
export function stratifiedFolds<T extends Labelled>(items: readonly T[], folds: number, seed = 0): T[][] {
  if (!Number.isInteger(folds) || folds < 2)
    throw new Error(`split: folds must be an integer of at least 2, got ${folds}`);
  if (folds > items.length) throw new Error(`split: cannot make ${folds} folds of ${items.length} images`);
  const foldOf = new Map<string, number>();
  // One round robin across both classes, so that the smaller folds of one class meet the larger of the other.
  let next = 0;
  for (const members of shuffledClasses(items, seed)) {
    for (const item of members) foldOf.set(item.imageId, next++ % folds);
  }
  const result: T[][] = Array.from({ length: folds }, () => []);
  for (const item of items) result[foldOf.get(item.imageId)!].push(item);
  return result;
}

/** Fold `fold` (0-based) of K as validation, the other K-1 folds as training. */
export function foldSplit<T extends Labelled>(
  items: readonly T[],
  folds: number,
  fold: number,
  seed = 0,
): TrainValidationSplit<T> {
  if (!Number.isInteger(fold) || fold < 0 || fold >= folds)
    throw new Error(`split: fold must be 0..${folds - 1}, got ${fold}`);
  const validation = stratifiedFolds(items, folds, seed)[fold];
  return partition(items, new Set(validation.map((i) => i.imageId)));
}

/** The positive images only: what the segmenter trains and validates on. */
export function positivesOnly<T extends Labelled>(items: readonly T[]): T[] {
  return items.filter((i) => i.label === 1);
}

/** An item with the group it belongs to (a patient): a group's items always fall in one fold. */
export interface Grouped extends Labelled {
  group: string;
}

/**
 * K folds stratified by label and grouped (no group in two folds): each group, labelled positive when
 * any of its images is, goes to the fold that holds the fewest images of its class so far (ties: the
 * smaller fold, then the lower index). Groups are placed largest first, in a seeded order within a
 * size, so that the folds' class counts differ by at most the largest group. Returns each image's fold.
 */
export function groupedStratifiedFolds<T extends Grouped>(
  items: readonly T[],
  folds: number,
  seed = 0,
): Map<string, number> {
  if (!Number.isInteger(folds) || folds < 2)
    throw new Error(`split: folds must be an integer of at least 2, got ${folds}`);
  const groups = new Map<string, T[]>();
  const seen = new Set<string>();
  for (const item of items) {
    if (seen.has(item.imageId))
      throw new Error(`split: image ${item.imageId} appears twice; an image must be in one place only`);
    seen.add(item.imageId);
    const members = groups.get(item.group);
    if (members) members.push(item);
    else groups.set(item.group, [item]);
  }
  if (folds > groups.size)
    throw new Error(`split: cannot make ${folds} folds of ${groups.size} patients (${items.length} images)`);
  const names = [...groups.keys()].sort();
  const counts = Array.from({ length: folds }, () => [0, 0]);
  const foldOf = new Map<string, number>();
  for (const label of [1, 0] as const) {
    const ofClass = names.filter((g) => (groups.get(g)!.some((i) => i.label === 1) ? 1 : 0) === label);
    const ordered = Rng.derive(seed, 0x9f01d, label)
      .shuffle(ofClass)
      .map((name, order) => ({ name, order, size: groups.get(name)!.length }))
      .sort((a, b) => b.size - a.size || a.order - b.order);
    for (const { name, size } of ordered) {
      let best = 0;
      for (let k = 1; k < folds; k++) {
        const [c, b] = [counts[k], counts[best]];
        if (c[label] < b[label] || (c[label] === b[label] && c[0] + c[1] < b[0] + b[1])) best = k;
      }
      counts[best][label] += size;
      for (const item of groups.get(name)!) foldOf.set(item.imageId, best);
    }
  }
  return foldOf;
}
