// Which items an epoch visits, and in what order. Plain: every item once, shuffled. With a positive
// fraction (fixed, "balanced" = 0.5, or a linear schedule such as 0.8 -> 0.4 over the epochs, as the
// top SIIM solutions used for the segmenter): the epoch holds that share of positives, drawn from each
// class in reshuffled passes so that every item of a class is seen about equally often. Per-item
// weights oversample hard examples (weight 3 = three times as often). Deterministic by (seed, epoch).
// Data parallel: every rank computes the same epoch order and takes its own share of it (shardEpoch).
import { Rng } from './random.js';
import type { Labelled } from './split.js';

/** A linear change of the positive fraction from `start` (epoch 0) to `end` (epoch `epochs - 1`), then held. */
export interface FractionSchedule {
  start: number;
  end: number;
  epochs: number;
}

export type PositiveFraction = 'balanced' | number | FractionSchedule;

export interface SamplingOptions {
  /** Absent: plain shuffle, each item in proportion to its weight. */
  positiveFraction?: PositiveFraction;
  /** Items per epoch; defaults to the sum of the weights (the item count without weights). */
  epochSize?: number;
  /** One weight per item (>= 0), e.g. from `hardExampleWeights`. */
  weights?: ArrayLike<number>;
}

export class SamplerError extends Error {
  override name = 'SamplerError';
}

function checkFraction(f: number, what: string): void {
  if (!(f >= 0 && f <= 1)) throw new SamplerError(`${what}: expected a positive fraction in [0, 1], received ${f}`);
}

export function positiveFractionAt(fraction: PositiveFraction, epoch: number): number {
  if (fraction === 'balanced') return 0.5;
  if (typeof fraction === 'number') return fraction;
  const { start, end, epochs } = fraction;
  if (epochs <= 1) return end;
  const t = Math.min(1, Math.max(0, epoch / (epochs - 1)));
  return start + (end - start) * t;
}

/**
 * Parses a command-line positive fraction: `balanced`, `0.5`, `0.8:0.4` (linear over `totalEpochs`)
 * or `0.8:0.4:10` (linear over 10 epochs, then held).
 */
export function parsePositiveFraction(text: string, totalEpochs = 1): PositiveFraction {
  const t = text.trim();
  if (t === 'balanced') return t;
  const parts = t.split(':');
  const numbers = parts.map(Number);
  if (parts.length > 3 || parts.some((p) => p.trim() === '') || numbers.some((n) => !Number.isFinite(n))) {
    throw new SamplerError(`positive fraction "${text}": expected balanced, F, START:END or START:END:EPOCHS`);
  }
  numbers.slice(0, 2).forEach((n) => checkFraction(n, `positive fraction "${text}"`));
  if (parts.length === 1) return numbers[0];
  const epochs = parts.length === 3 ? numbers[2] : totalEpochs;
  if (!Number.isInteger(epochs) || epochs < 1)
    throw new SamplerError(`positive fraction "${text}": the epoch count must be a positive integer`);
  return { start: numbers[0], end: numbers[1], epochs };
}

/** Each index floor(w) times, plus once more with probability frac(w). */
function weightedPool(indices: readonly number[], weights: ArrayLike<number> | undefined, rng: Rng): number[] {
  if (!weights) return [...indices];
  const pool: number[] = [];
  for (const i of indices) {
    const w = weights[i];
    const whole = Math.floor(w);
    for (let k = 0; k < whole; k++) pool.push(i);
    if (rng.next() < w - whole) pool.push(i);
  }
  return pool;
}

/** `count` draws from the pool in successive shuffled passes (no item twice before all were seen once). */
function drawPasses(pool: readonly number[], count: number, rng: Rng): number[] {
  const out: number[] = [];
  while (out.length < count) {
    const pass = rng.shuffle([...pool]);
    out.push(...pass.slice(0, count - out.length));
  }
  return out;
}

/** The item indices of one epoch, in order (an index repeats when its item is oversampled). */
export function sampleEpoch(
  items: readonly Labelled[],
  epoch: number,
  seed: number,
  options: SamplingOptions = {},
): number[] {
  const { weights, positiveFraction } = options;
  if (weights) {
    if (weights.length !== items.length) throw new SamplerError(`${weights.length} weights for ${items.length} items`);
    for (let i = 0; i < weights.length; i++) {
      if (!(weights[i] >= 0) || !Number.isFinite(weights[i]))
        throw new SamplerError(`weight of ${items[i].imageId} is ${weights[i]}, expected a finite number >= 0`);
    }
  }
  const rng = Rng.derive(seed, epoch);
  const all = items.map((_, i) => i);
  if (positiveFraction === undefined) {
    const pool = rng.shuffle(weightedPool(all, weights, rng));
    return options.epochSize === undefined ? pool : drawPasses(pool, options.epochSize, rng);
  }
  const fraction = positiveFractionAt(positiveFraction, epoch);
  checkFraction(fraction, `positive fraction at epoch ${epoch}`);
  const positives = weightedPool(
    all.filter((i) => items[i].label === 1),
    weights,
    rng,
  );
  const negatives = weightedPool(
    all.filter((i) => items[i].label !== 1),
    weights,
    rng,
  );
  let totalWeight = items.length;
  if (weights) {
    totalWeight = 0;
    for (let i = 0; i < weights.length; i++) totalWeight += weights[i];
  }
  const size = options.epochSize ?? Math.round(totalWeight);
  const positiveCount = Math.round(fraction * size);
  if (positiveCount > 0 && positives.length === 0)
    throw new SamplerError(`positive fraction ${fraction.toFixed(3)} asked for, but there are no positive items`);
  if (size - positiveCount > 0 && negatives.length === 0)
    throw new SamplerError(
      `positive fraction ${fraction.toFixed(3)} leaves room for negatives, but there are no negative items`,
    );
  return rng.shuffle([
    ...drawPasses(positives, positiveCount, rng),
    ...drawPasses(negatives, size - positiveCount, rng),
  ]);
}

/** Weight `factor` for the listed image ids and 1 for the others; ids that match no item are returned, not dropped. */
export function hardExampleWeights(
  items: readonly Labelled[],
  hardIds: readonly string[],
  factor: number,
): { weights: Float64Array; unmatched: string[] } {
  if (!(factor >= 0) || !Number.isFinite(factor))
    throw new SamplerError(`oversample factor must be a finite number >= 0, received ${factor}`);
  const hard = new Set(hardIds);
  const weights = new Float64Array(items.length);
  const seen = new Set<string>();
  items.forEach((item, i) => {
    const isHard = hard.has(item.imageId);
    if (isHard) seen.add(item.imageId);
    weights[i] = isHard ? factor : 1;
  });
  return { weights, unmatched: [...hard].filter((id) => !seen.has(id)) };
}

/** Which share of each epoch one rank of a data-parallel run takes. */
export interface Shard {
  rank: number;
  worldSize: number;
  /**
   * Pad the order to a multiple of the world size (default, for training: equal steps on every rank);
   * false for evaluation, where every item must count exactly once and the shares may differ by one.
   */
  pad?: boolean;
}

/**
 * One rank's share of an epoch's order, as torch.utils.data.DistributedSampler splits it: the order is
 * padded by repeating its start to a multiple of the world size, then rank r takes positions r, r + W,
 * r + 2W, ... So the shares are disjoint, of equal length (every rank takes the same number of steps),
 * and batch k of every rank together holds the items of batch k of one process with W times the batch.
 */
export function shardEpoch(order: readonly number[], shard: Shard): number[] {
  const { rank, worldSize } = shard;
  if (!Number.isInteger(worldSize) || worldSize < 1)
    throw new SamplerError(`world size must be a positive integer, received ${worldSize}`);
  if (!Number.isInteger(rank) || rank < 0 || rank >= worldSize)
    throw new SamplerError(`rank must be an integer in [0, ${worldSize - 1}], received ${rank}`);
  if (order.length === 0) return [];
  const total = shard.pad === false ? order.length : Math.ceil(order.length / worldSize) * worldSize;
  const out: number[] = [];
  for (let position = rank; position < total; position += worldSize) out.push(order[position % order.length]);
  return out;
}
