import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Rng } from '../../../src/data/random.js';
import { buildAugmentation, parseAugmentConfig } from '../../../src/data/transforms/compose.js';
import { RandomDrainOverlay } from '../../../src/data/transforms/device-overlay.js';

const SIZE = 128;

function flat(value: number) {
  return { image: { width: SIZE, height: SIZE, pixels: new Float32Array(SIZE * SIZE).fill(value) }, mask: null };
}

test('a drawn drain brightens a thin lateral path only, leaves the mask alone and stays in [0, 1]', () => {
  const mask = { width: SIZE, height: SIZE, data: new Uint8Array(SIZE * SIZE).fill(1) };
  for (let seed = 0; seed < 6; seed++) {
    const out = new RandomDrainOverlay().apply({ ...flat(0.4), mask }, new Rng(seed));
    assert.equal(out.mask, mask);
    let changed = 0,
      darker = 0,
      lateral = 0,
      bright = 0;
    for (let k = 0; k < out.image.pixels.length; k++) {
      const v = out.image.pixels[k];
      assert.ok(v <= 1);
      if (v < 0.4) darker++;
      if (v > 0.4 + 1e-6) {
        changed++;
        const x = (k % SIZE) / SIZE;
        if (x < 0.36 || x > 0.64) lateral++;
        if (v > 0.48) bright++;
      }
    }
    assert.equal(darker, 0);
    // A tube a few pixels wide along ~0.6 image units of path: a few percent of the image.
    assert.ok(changed > 0.005 * SIZE * SIZE && changed < 0.1 * SIZE * SIZE, `seed ${seed}: ${changed} pixels changed`);
    assert.ok(lateral > 0.9 * changed, `seed ${seed}: ${lateral} of ${changed} changed pixels in the lateral thirds`);
    assert.ok(bright > 20, `seed ${seed}: the radiopaque stripe is visible (${bright} pixels)`);
  }
});

test('the drain augmentation is configured like the others, at its probability', () => {
  assert.deepEqual(parseAugmentConfig({ drain: 0.7 }), { drain: { p: 0.7 } });
  assert.throws(() => parseAugmentConfig({ drain: { p: 0.5, width: 3 } }), /unknown setting `width`/);
  const compose = buildAugmentation({ drain: { p: 1 } });
  assert.deepEqual(compose.names, ['drain']);
  const rng = new Rng(3);
  const drawn = compose.apply(flat(0.2), rng);
  assert.ok(drawn.image.pixels.some((v) => v > 0.26));
  const never = buildAugmentation({ drain: { p: 0 } }).apply(flat(0.2), new Rng(3));
  assert.ok(never.image.pixels.every((v) => v === Math.fround(0.2)));
});

test('with negativesOnly the drain is drawn on images with an empty mask and never on positives', () => {
  const positive = { width: SIZE, height: SIZE, data: new Uint8Array(SIZE * SIZE) };
  positive.data[SIZE * 10 + 10] = 1;
  const empty = { width: SIZE, height: SIZE, data: new Uint8Array(SIZE * SIZE) };
  assert.deepEqual(parseAugmentConfig({ drain: { p: 0.4, negativesOnly: true } }), {
    drain: { p: 0.4, negativesOnly: true },
  });
  assert.throws(
    () => parseAugmentConfig({ drain: { p: 0.4, negativesOnly: 1 } }),
    /negativesOnly: expected true or false/,
  );
  const compose = buildAugmentation({ drain: { p: 1, negativesOnly: true } });
  for (let seed = 0; seed < 4; seed++) {
    const kept = compose.apply({ ...flat(0.2), mask: positive }, new Rng(seed));
    assert.ok(
      kept.image.pixels.every((v) => v === Math.fround(0.2)),
      `seed ${seed}: a positive stays as it was`,
    );
    const drawn = compose.apply({ ...flat(0.2), mask: empty }, new Rng(seed));
    assert.ok(
      drawn.image.pixels.some((v) => v > 0.26),
      `seed ${seed}: a negative gets a drain`,
    );
  }
});
