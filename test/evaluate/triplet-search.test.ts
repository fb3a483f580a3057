import { test } from 'node:test';
import assert from 'node:assert/strict';
import { scoreTriplet, searchTriplet, type TripletImage } from '../../src/evaluate/triplet-search.js';

const SIZE = 64; // 1 map pixel = 256 pixels at 1024 scale

function image(
  imageId: string,
  probability: number,
  paint: (map: Float32Array, truth: Uint8Array) => void,
): TripletImage {
  const map = new Float32Array(SIZE * SIZE);
  const truth = new Uint8Array(SIZE * SIZE);
  paint(map, truth);
  return { imageId, probability, map, truth, width: SIZE, height: SIZE };
}

function square(x0: number, y0: number, side: number, each: (i: number) => void): void {
  for (let y = y0; y < y0 + side; y++) for (let x = x0; x < x0 + side; x++) each(y * SIZE + x);
}

// Planted optimum. Positives (p .8): truth a 16x16 square at map probability .7, with a ring at .35
// around it, so the outline is exact for pixel thresholds in [.35, .7). Negatives at p .85 carry a
// 10-pixel blob at .9 (2560 px at 1024 scale): dropped by a minimum area >= 3000. A negative at p .3
// carries a 300-pixel blob: only a classifier threshold above .3 removes it.
const IMAGES: TripletImage[] = [
  ...['p1', 'p2'].map((id, k) =>
    image(id, 0.8, (map, truth) => {
      square(10 + k, 10, 20, (i) => (map[i] = 0.35));
      square(12 + k, 12, 16, (i) => {
        map[i] = 0.7;
        truth[i] = 1;
      });
    }),
  ),
  ...['n1', 'n2'].map((id) =>
    image(id, 0.85, (map) => [...Array(10).keys()].forEach((x) => (map[40 * SIZE + x] = 0.9))),
  ),
  image('n3', 0.3, (map) => square(30, 30, 17, (i) => (map[i] = 0.9))),
];

test('the joint search finds the planted optimum, ties resolved to the highest thresholds and area', () => {
  const result = searchTriplet(IMAGES);
  assert.deepEqual(result.best, { classifierThreshold: 0.8, pixelThreshold: 0.65, minArea: 6000, siimScore: 1 });
  assert.equal(result.images, 5);
  // Without a minimum area both blob negatives score 0: 3/5.
  assert.equal(scoreTriplet(IMAGES, { classifierThreshold: 0.8, pixelThreshold: 0.65, minArea: 0 }), 3 / 5);
  // A pixel threshold below the ring adds 20^2 - 16^2 = 144 pixels: Dice 2*256/(400+256) on positives.
  const ringDice = (2 * 256) / (400 + 256);
  assert.ok(
    Math.abs(
      scoreTriplet(IMAGES, { classifierThreshold: 0.8, pixelThreshold: 0.3, minArea: 6000 }) - (2 * ringDice + 3) / 5,
    ) < 1e-12,
  );
  // A classifier threshold at .3 lets the 300-pixel blob through.
  assert.equal(scoreTriplet(IMAGES, { classifierThreshold: 0.3, pixelThreshold: 0.5, minArea: 6000 }), 4 / 5);
});

test('byte maps (round(255 p)) give the same optimum as float maps', () => {
  const bytes = IMAGES.map((im) => ({ ...im, map: Uint8Array.from(im.map, (v) => Math.round(v * 255)) }));
  assert.deepEqual(searchTriplet(bytes).best, searchTriplet(IMAGES).best);
});

test('a map of the wrong size names the image', () => {
  assert.throws(() => searchTriplet([{ ...IMAGES[0], map: new Float32Array(3) }]), /image p1/);
});
