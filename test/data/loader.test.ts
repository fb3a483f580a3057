import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync, readdirSync, utimesSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { BatchLoader, LoaderClosedError, type Batch, type LoaderItem } from '../../src/data/loader.js';
import { encodeRle } from '../../src/data/rle.js';
import type { Mask } from '../../src/data/image.js';

const SIZE = 64; // source images
const OUT = 32; // training size: 2x2 blocks
const norm = { mean: 0.5, std: 0.25 };
let dir: string;
let items: LoaderItem[];
const sources = new Map<string, Uint8Array>();
const masks = new Map<string, Mask>();

function pixelOf(k: number, x: number, y: number): number {
  return (x * 3 + y * 5 + k * 17) % 256;
}

before(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'loader-test-'));
  items = [];
  for (let k = 0; k < 7; k++) {
    const imageId = `1.2.3.${k}`;
    const pixels = new Uint8Array(SIZE * SIZE);
    for (let y = 0; y < SIZE; y++) for (let x = 0; x < SIZE; x++) pixels[y * SIZE + x] = pixelOf(k, x, y);
    const file = path.join(dir, `${imageId}.png`);
    await sharp(pixels, { raw: { width: SIZE, height: SIZE, channels: 1 } })
      .png()
      .toFile(file);
    sources.set(imageId, pixels);
    // Positives (odd k): two rectangles given as two RLE rows, which the loader must OR.
    const mask: Mask = { width: SIZE, height: SIZE, data: new Uint8Array(SIZE * SIZE) };
    const rows: string[] = [];
    if (k % 2 === 1) {
      for (const [x0, y0, x1, y1] of [
        [4 + k, 6, 20 + k, 30],
        [30, 40 - k, 50, 60],
      ]) {
        const part: Mask = { width: SIZE, height: SIZE, data: new Uint8Array(SIZE * SIZE) };
        for (let y = y0; y < y1; y++)
          for (let x = x0; x < x1; x++) part.data[y * SIZE + x] = mask.data[y * SIZE + x] = 1;
        rows.push(encodeRle(part));
      }
    } else rows.push('-1');
    masks.set(imageId, mask);
    items.push({ imageId, path: file, label: k % 2 === 1 ? 1 : 0, rleRows: rows });
  }
});

after(() => rmSync(dir, { recursive: true, force: true }));

async function collect(loader: BatchLoader, epoch: number): Promise<Batch[]> {
  const out: Batch[] = [];
  for await (const b of loader.epoch(epoch)) out.push(b);
  return out;
}

test('a plain epoch yields every item once, with the right shapes, pixels and masks, in shuffled order', async () => {
  const loader = await BatchLoader.open(items, { size: OUT, batchSize: 3, workers: 2, normalize: norm, seed: 1 });
  try {
    const batches = await collect(loader, 0);
    assert.deepEqual(
      batches.map((b) => b.n),
      [3, 3, 1],
    );
    const ids = batches.flatMap((b) => b.ids);
    assert.deepEqual([...ids].sort(), items.map((i) => i.imageId).sort());
    assert.notDeepEqual(
      ids,
      items.map((i) => i.imageId),
    );
    for (const b of batches) {
      assert.equal(b.width, OUT);
      assert.equal(b.images.length, b.n * OUT * OUT);
      assert.equal(b.masks.length, b.n * OUT * OUT);
      b.ids.forEach((id, j) => {
        const src = sources.get(id)!;
        const mask = masks.get(id)!;
        assert.equal(b.labels[j], Number(id.endsWith('1') || id.endsWith('3') || id.endsWith('5')));
        for (let y = 0; y < OUT; y++) {
          for (let x = 0; x < OUT; x++) {
            const o = j * OUT * OUT + y * OUT + x;
            const block =
              (src[2 * y * SIZE + 2 * x] +
                src[2 * y * SIZE + 2 * x + 1] +
                src[(2 * y + 1) * SIZE + 2 * x] +
                src[(2 * y + 1) * SIZE + 2 * x + 1]) /
              4 /
              255;
            assert.ok(Math.abs(b.images[o] * norm.std + norm.mean - block) < 1e-4, `${id} (${x}, ${y})`);
            // Nearest from 64 to 32 takes the source pixel at (2x + 1, 2y + 1).
            assert.equal(b.masks[o], mask.data[(2 * y + 1) * SIZE + 2 * x + 1]);
          }
        }
      });
    }
    assert.ok(batches.some((b) => b.masks.some((v) => v === 1)));
    assert.deepEqual(loader.stats.failures, []);
  } finally {
    await loader.close();
  }
});

test('the cache fills on the first epoch, serves the second, and notices a changed source', async () => {
  const cacheDir = path.join(dir, 'cache');
  const loader = await BatchLoader.open(items, {
    size: OUT,
    batchSize: 4,
    workers: 1,
    cacheDir,
    sampling: 'sequential',
    normalize: norm,
  });
  try {
    const first = await collect(loader, 0);
    assert.deepEqual([loader.stats.cacheHits, loader.stats.cacheMisses], [0, 7]);
    assert.equal(readdirSync(cacheDir).filter((f) => f.endsWith('.bin')).length, 7);
    assert.ok(readdirSync(cacheDir).every((f) => !f.endsWith('.tmp')));
    const second = await collect(loader, 1);
    assert.deepEqual([loader.stats.cacheHits, loader.stats.cacheMisses], [7, 7]);
    assert.deepEqual(
      second.map((b) => b.images),
      first.map((b) => b.images),
    );
    assert.deepEqual(
      second.map((b) => b.masks),
      first.map((b) => b.masks),
    );
    // A new mtime on one source invalidates its entry only.
    utimesSync(items[2].path, new Date(), new Date(Date.now() + 5000));
    await collect(loader, 2);
    assert.deepEqual([loader.stats.cacheHits, loader.stats.cacheMisses], [13, 8]);
  } finally {
    await loader.close();
  }
});

test('a corrupt or missing file is skipped and reported with its id and reason; the rest arrive', async () => {
  const bad = path.join(dir, 'corrupt.png');
  writeFileSync(bad, Buffer.from('\x89PNG\r\n\x1a\nthis is not a png at all'));
  const broken: LoaderItem[] = [
    ...items,
    { imageId: 'bad.1', path: bad, label: 0, rleRows: ['-1'] },
    { imageId: 'gone.2', path: path.join(dir, 'gone.png'), label: 1, rleRows: ['1 2'] },
  ];
  const loader = await BatchLoader.open(broken, {
    size: OUT,
    batchSize: 4,
    workers: 2,
    normalize: norm,
    cacheDir: path.join(dir, 'cache2'),
  });
  try {
    const batches = await collect(loader, 0);
    assert.equal(
      batches.reduce((s, b) => s + b.n, 0),
      7,
    );
    for (const b of batches) assert.equal(b.images.length, b.n * OUT * OUT);
    const failures = loader.stats.failures;
    assert.deepEqual(failures.map((f) => f.imageId).sort(), ['bad.1', 'gone.2']);
    assert.match(failures.find((f) => f.imageId === 'gone.2')!.reason, /gone\.png: no such file or folder/);
    assert.ok(failures.every((f) => f.reason.length > 0 && f.path.length > 0));
    // A batch also lists its own failures (a batch left empty is not yielded: stats then holds them alone).
    for (const f of batches.flatMap((b) => b.failures)) assert.ok(failures.some((g) => g.imageId === f.imageId));
  } finally {
    await loader.close();
  }
});

test('a file that kills or hangs its worker costs only itself: the batch is retried item by item', async () => {
  const culprits: LoaderItem[] = [
    { imageId: 'crash.1', path: path.join(dir, 'crash.png'), label: 0, rleRows: ['-1'] },
    { imageId: 'hang.2', path: path.join(dir, 'hang.png'), label: 0, rleRows: ['-1'] },
  ];
  const loader = await BatchLoader.open([...items, ...culprits], {
    size: OUT,
    batchSize: 3,
    workers: 2,
    normalize: norm,
    taskTimeoutMs: 1000,
    readerModule: new URL('./loader-test-reader.js', import.meta.url).href,
  });
  try {
    const batches = await collect(loader, 0);
    assert.deepEqual(batches.flatMap((b) => b.ids).sort(), items.map((i) => i.imageId).sort());
    for (const b of batches) assert.equal(b.images.length, b.n * OUT * OUT);
    const failures = loader.stats.failures;
    assert.deepEqual(failures.map((f) => f.imageId).sort(), ['crash.1', 'hang.2']);
    assert.match(failures.find((f) => f.imageId === 'crash.1')!.reason, /exited with code 9/);
    assert.match(failures.find((f) => f.imageId === 'hang.2')!.reason, /longer than 1000 ms/);
    assert.equal(loader.liveWorkers, 2);
  } finally {
    await loader.close();
  }
  assert.equal(loader.liveWorkers, 0);
});

test('augmented batches depend on (seed, epoch, position), not on the number of workers', async () => {
  const run = async (workers: number, seed: number) => {
    const loader = await BatchLoader.open(items, {
      size: OUT,
      batchSize: 2,
      workers,
      seed,
      augment: { hflip: { p: 0.5 }, shiftScaleRotate: { p: 0.8 }, gamma: { p: 0.5 } },
      normalize: norm,
    });
    try {
      return await collect(loader, 3);
    } finally {
      await loader.close();
    }
  };
  const one = await run(1, 5);
  const two = await run(2, 5);
  assert.deepEqual(
    two.map((b) => b.ids),
    one.map((b) => b.ids),
  );
  assert.deepEqual(
    two.map((b) => b.images),
    one.map((b) => b.images),
  );
  assert.deepEqual(
    two.map((b) => b.masks),
    one.map((b) => b.masks),
  );
  const other = await run(1, 6);
  assert.notDeepEqual(
    other.map((b) => b.images),
    one.map((b) => b.images),
  );
  for (const b of one) for (const v of b.masks) assert.ok(v === 0 || v === 1);
});

test('a reader module that cannot load is a clear error at open, not a hang', async () => {
  await assert.rejects(
    BatchLoader.open(items, {
      size: OUT,
      batchSize: 2,
      workers: 1,
      readerModule: new URL('./no-such-reader.js', import.meta.url).href,
    }),
    /the image reader .*no-such-reader\.js cannot be loaded: .*Cannot find module/,
  );
});

test('stopping early and closing ends every worker; a closed loader refuses with a clear error', async () => {
  const loader = await BatchLoader.open(items, { size: OUT, batchSize: 1, workers: 2, prefetch: 4, normalize: norm });
  assert.equal(loader.liveWorkers, 2);
  for await (const b of loader.epoch(0)) {
    assert.equal(b.n, 1);
    break;
  }
  const pending = loader.epoch(1);
  await loader.close();
  assert.equal(loader.liveWorkers, 0);
  await assert.rejects(pending.next(), LoaderClosedError);
  await assert.rejects(loader.epoch(2).next(), LoaderClosedError);
});
