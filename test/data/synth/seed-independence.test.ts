// Synthetic datasets of different seeds must not share images: a model tested on the twin of a
// training image measures memory, not detection. Every image's pixels and every non-empty mask are
// hashed; no hash may appear under two seeds, and the same seed must give the same bytes again.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { renderCase } from '../../../src/data/synth/radiograph.js';
import { resolveSynthOptions } from '../../../src/data/synth/options.js';
import { DEMO_PLANS, demoDataSeeds } from '../../../src/demo/demo-plan.js';

const SIZE = 64;

interface Hashes {
  pixels: Map<string, number>;
  masks: Map<string, number>;
}

function hashes(seed: number, n: number): Hashes {
  const options = resolveSynthOptions({ n, size: SIZE, seed });
  const out: Hashes = { pixels: new Map(), masks: new Map() };
  for (let i = 0; i < n; i++) {
    const c = renderCase(options, i);
    out.pixels.set(createHash('sha1').update(c.pixels).digest('hex'), i);
    for (const part of c.parts) out.masks.set(createHash('sha1').update(part.data).digest('hex'), i);
  }
  return out;
}

function shared(a: Map<string, number>, b: Map<string, number>): number {
  let count = 0;
  for (const key of a.keys()) if (b.has(key)) count++;
  return count;
}

test('pneumo synth --seed 1 and --seed 2 share no image and no mask', () => {
  const one = hashes(1, 200);
  const two = hashes(2, 200);
  assert.equal(one.pixels.size, 200, 'every image of a set differs from the others');
  assert.ok(one.masks.size > 20, `positives drawn: ${one.masks.size} masks`);
  assert.equal(shared(one.pixels, two.pixels), 0);
  assert.equal(shared(one.masks, two.masks), 0);
});

test('the demo trains and tests on different images at every size', () => {
  for (const size of ['small', 'full'] as const) {
    const plan = DEMO_PLANS[size];
    const seeds = demoDataSeeds(1);
    const train = hashes(seeds.train, plan.images);
    const testSet = hashes(seeds.test, plan.testImages);
    assert.equal(shared(train.pixels, testSet.pixels), 0, `${size}: test images that are training images`);
    assert.equal(shared(train.masks, testSet.masks), 0, `${size}: test masks that are training masks`);
  }
});

test('a seed gives the same images again', () => {
  const options = resolveSynthOptions({ n: 5, size: SIZE, seed: 7 });
  for (const i of [0, 4]) {
    const a = renderCase(options, i);
    const b = renderCase(options, i);
    assert.deepEqual(a.pixels, b.pixels);
    assert.deepEqual(
      a.parts.map((p) => p.data),
      b.parts.map((p) => p.data),
    );
  }
});
