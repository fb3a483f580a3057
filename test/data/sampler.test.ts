import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Labelled } from '../../src/data/split.js';
import {
  hardExampleWeights,
  parsePositiveFraction,
  positiveFractionAt,
  sampleEpoch,
  shardEpoch,
} from '../../src/data/sampler.js';

// 100 items, 20 positive (ids p0..p19), 80 negative (n0..n79).
const items = Array.from({ length: 100 }, (_, i): Labelled =>
  i < 20 ? { imageId: `p${i}`, label: 1 } : { imageId: `n${i - 20}`, label: 0 },
);
const positivesIn = (order: number[]) => order.filter((i) => items[i].label === 1).length;

test('plain epochs visit every item exactly once, in an order fixed by (seed, epoch)', () => {
  const e0 = sampleEpoch(items, 0, 42);
  assert.deepEqual(
    [...e0].sort((a, b) => a - b),
    items.map((_, i) => i),
  );
  assert.deepEqual(sampleEpoch(items, 0, 42), e0);
  assert.notDeepEqual(sampleEpoch(items, 1, 42), e0);
  assert.notDeepEqual(sampleEpoch(items, 0, 43), e0);
});

test('balanced epochs are half positives, each positive seen 2-3 times, each negative at most once', () => {
  const order = sampleEpoch(items, 3, 1, { positiveFraction: 'balanced' });
  assert.equal(order.length, 100);
  assert.equal(positivesIn(order), 50);
  const counts = new Map<number, number>();
  for (const i of order) counts.set(i, (counts.get(i) ?? 0) + 1);
  for (let i = 0; i < 20; i++) assert.ok([2, 3].includes(counts.get(i)!), `positive ${i} seen ${counts.get(i)} times`);
  for (let i = 20; i < 100; i++) assert.ok((counts.get(i) ?? 0) <= 1);
});

test('a 0.8 -> 0.4 schedule moves linearly over the epochs, then holds', () => {
  const schedule = parsePositiveFraction('0.8:0.4', 5);
  assert.deepEqual(schedule, { start: 0.8, end: 0.4, epochs: 5 });
  assert.deepEqual(
    [0, 1, 2, 3, 4, 9].map((e) => +positiveFractionAt(schedule, e).toFixed(6)),
    [0.8, 0.7, 0.6, 0.5, 0.4, 0.4],
  );
  assert.deepEqual(
    [0, 2, 4].map((e) => positivesIn(sampleEpoch(items, e, 7, { positiveFraction: schedule }))),
    [80, 60, 40],
  );
  assert.equal(positivesIn(sampleEpoch(items, 0, 7, { positiveFraction: 0.25, epochSize: 40 })), 10);
});

test('fraction strings: errors name the text', () => {
  assert.equal(parsePositiveFraction('0.3'), 0.3);
  assert.equal(parsePositiveFraction(' balanced '), 'balanced');
  assert.deepEqual(parsePositiveFraction('0.8:0.4:10', 99), { start: 0.8, end: 0.4, epochs: 10 });
  assert.throws(() => parsePositiveFraction('1.5'), /positive fraction "1.5"/);
  assert.throws(() => parsePositiveFraction('0.8:x'), /expected balanced, F, START:END/);
  assert.throws(() => parsePositiveFraction('0.8:0.4:0'), /epoch count/);
});

test('oversampling: listed ids weigh `factor`, unknown ids come back, and plain epochs repeat them', () => {
  const { weights, unmatched } = hardExampleWeights(items, ['n3', 'p5', 'ghost'], 3);
  assert.deepEqual(unmatched, ['ghost']);
  assert.equal(weights[23], 3);
  assert.equal(weights[5], 3);
  assert.equal(weights[0], 1);
  const order = sampleEpoch(items, 0, 9, { weights });
  assert.equal(order.length, 104);
  assert.equal(order.filter((i) => i === 23).length, 3);
  assert.equal(order.filter((i) => i === 0).length, 1);
  // Fractional weights: 0.5 keeps an item in about half the epochs.
  const half = Float64Array.from(items, (_, i) => (i === 0 ? 0.5 : 1));
  let kept = 0;
  for (let e = 0; e < 400; e++) if (sampleEpoch(items, e, 1, { weights: half }).includes(0)) kept++;
  assert.ok(Math.abs(kept / 400 - 0.5) < 0.08, `kept in ${kept} of 400 epochs`);
});

test('oversampling inside a class under a positive fraction: a hard positive comes up three times as often', () => {
  const { weights } = hardExampleWeights(items, ['p0'], 3);
  let hard = 0,
    other = 0;
  for (let e = 0; e < 50; e++) {
    const order = sampleEpoch(items, e, 2, { positiveFraction: 0.5, weights, epochSize: 88 });
    hard += order.filter((i) => i === 0).length;
    other += order.filter((i) => i === 1).length;
  }
  assert.ok(Math.abs(hard / other - 3) < 0.3, `hard ${hard} vs other ${other}`);
});

test('impossible requests are errors', () => {
  const negativesOnly = items.slice(20);
  assert.throws(() => sampleEpoch(negativesOnly, 0, 1, { positiveFraction: 0.5 }), /no positive items/);
  assert.throws(() => sampleEpoch(items, 0, 1, { weights: [1, 2] }), /2 weights for 100 items/);
  assert.throws(() => hardExampleWeights(items, [], -1), /factor/);
});

test('data-parallel shards: disjoint positions, equal lengths, together the whole epoch (balanced and oversampled too)', () => {
  const { weights } = hardExampleWeights(items, ['p3', 'n7'], 3);
  const epochs = [
    sampleEpoch(items, 2, 5),
    sampleEpoch(items, 2, 5, { positiveFraction: 0.8 }),
    sampleEpoch(items, 2, 5, { positiveFraction: 'balanced', weights }),
  ];
  for (const order of epochs) {
    for (const worldSize of [1, 2, 3]) {
      const shards = Array.from({ length: worldSize }, (_, rank) => shardEpoch(order, { rank, worldSize }));
      const length = Math.ceil(order.length / worldSize);
      for (const s of shards) assert.equal(s.length, length, 'every rank takes the same number of steps');
      // Position k of every shard together are positions k*W .. k*W+W-1 of the epoch (padded from its start).
      const merged = Array.from(
        { length: length * worldSize },
        (_, p) => shards[p % worldSize][Math.floor(p / worldSize)],
      );
      assert.deepEqual(merged.slice(0, order.length), order);
      assert.deepEqual(merged.slice(order.length), order.slice(0, merged.length - order.length));
    }
  }
  // The PyTorch DistributedSampler split of 0..6 over 3 ranks (shuffle=False, drop_last=False).
  const seven = [0, 1, 2, 3, 4, 5, 6];
  assert.deepEqual(shardEpoch(seven, { rank: 0, worldSize: 3 }), [0, 3, 6]);
  assert.deepEqual(shardEpoch(seven, { rank: 1, worldSize: 3 }), [1, 4, 0]);
  assert.deepEqual(shardEpoch(seven, { rank: 2, worldSize: 3 }), [2, 5, 1]);
  // Evaluation: no padding, every item once.
  assert.deepEqual(shardEpoch(seven, { rank: 0, worldSize: 3, pad: false }), [0, 3, 6]);
  assert.deepEqual(shardEpoch(seven, { rank: 1, worldSize: 3, pad: false }), [1, 4]);
  assert.deepEqual(shardEpoch(seven, { rank: 2, worldSize: 3, pad: false }), [2, 5]);
  assert.deepEqual(shardEpoch([0], { rank: 1, worldSize: 2, pad: false }), []);
  assert.throws(() => shardEpoch(seven, { rank: 3, worldSize: 3 }), /rank must be an integer in \[0, 2\], received 3/);
});
