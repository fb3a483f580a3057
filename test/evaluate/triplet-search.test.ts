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

test('the joint search finds the planted optimum at the smallest area that reaches it, other ties to the highest thresholds', () => {
  const result = searchTriplet(IMAGES);
  // Areas from 3000 drop the 2560 px blobs; 3000 is the smallest of them on the grid.
  assert.deepEqual(result.best, { classifierThreshold: 0.8, pixelThreshold: 0.65, minArea: 3000, siimScore: 1 });
  assert.deepEqual(result.top, { classifierThreshold: 0.8, pixelThreshold: 0.65, minArea: 6000, siimScore: 1 });
  assert.equal(result.tolerance, 1 / 5);
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

test('a minimum area that wins by less than one image of score is not taken; one that wins by a whole image is', () => {
  // 20 images: a positive with a 6x6 truth predicted exactly (9216 px at 1024 scale), a negative with a
  // 12-pixel blob (3072 px), and empty negatives. Minimum areas from 4000 drop the blob: one image more.
  const positive = image('p1', 0.9, (map, truth) =>
    square(20, 20, 6, (i) => {
      map[i] = 0.9;
      truth[i] = 1;
    }),
  );
  const blob = image('blob', 0.9, (map) => [...Array(12).keys()].forEach((x) => (map[50 * SIZE + x] = 0.9)));
  const empties = [...Array(18).keys()].map((k) => image(`n${k}`, 0.1, () => undefined));
  const strong = searchTriplet([positive, blob, ...empties]);
  assert.equal(strong.top.siimScore, 1);
  assert.equal(strong.best.minArea, 4000);
  assert.equal(strong.best.siimScore, 1);
  // A second positive, 2x2 (1024 px) predicted with 2 pixels too many (Dice .8, 1536 px): areas from
  // 2000 drop it. No minimum area now scores 18.8/20 against 19/20 at 4000: less than one image apart.
  const small = image('p2', 0.9, (map, truth) => {
    square(40, 40, 2, (i) => {
      map[i] = 0.9;
      truth[i] = 1;
    });
    map[40 * SIZE + 42] = 0.9;
    map[41 * SIZE + 42] = 0.9;
  });
  const close = searchTriplet([positive, blob, ...empties.slice(1), small]);
  assert.ok(Math.abs(close.top.siimScore - 19 / 20) < 1e-12);
  assert.ok(close.top.minArea >= 4000);
  assert.equal(close.best.minArea, 0);
  assert.ok(Math.abs(close.best.siimScore - 18.8 / 20) < 1e-12);
});
