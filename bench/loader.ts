// `pneumo bench loader`: images/s of the training loader at 256x256 with augmentation, from 1024x1024
// PNG sources, cold (decode + resize) and cached, with 1 and 2 workers, against the same pipeline in
// PyTorch (DataLoader, PIL, NumPy) measured in the same run.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import sharp from 'sharp';
import { Rng } from '../src/data/random.js';
import { encodeRle } from '../src/data/rle.js';
import { measureLoaderThroughput } from '../src/data/loader-throughput.js';
import type { LoaderItem } from '../src/data/loader.js';
import type { AugmentConfig } from '../src/data/transforms/compose.js';
import { PROJECT_ROOT } from '../src/project-paths.js';
import { PYTHON } from './support/python.js';

const SOURCE = 1024;
const SIZE = 256;
const BATCH = 16;
// The same augmentations on both sides (the Python reference has no grid distortion).
const AUGMENT: AugmentConfig = {
  hflip: { p: 0.5 },
  shiftScaleRotate: { p: 0.5 },
  brightnessContrast: { p: 0.5 },
  gamma: { p: 0.5 },
};

/** Chest-like 8-bit images: smooth large structure plus noise, so PNG sizes are realistic (~0.5-1 MB). */
async function writeSources(dir: string, count: number): Promise<LoaderItem[]> {
  const items: LoaderItem[] = [];
  const rng = new Rng(2024);
  for (let k = 0; k < count; k++) {
    const pixels = new Uint8Array(SOURCE * SOURCE);
    const phase = rng.uniform(0, Math.PI);
    for (let y = 0; y < SOURCE; y++) {
      for (let x = 0; x < SOURCE; x++) {
        const base = 120 + 60 * Math.sin(x / 97 + phase) * Math.cos(y / 131) + 30 * Math.sin((x + y) / 23);
        pixels[y * SOURCE + x] = Math.max(0, Math.min(255, Math.round(base + rng.normal(0, 6))));
      }
    }
    const imageId = `1.2.276.0.7230010.3.1.4.8323329.${1000 + k}.1517875165.${878000 + k}`;
    const file = path.join(dir, `${imageId}.png`);
    await sharp(pixels, { raw: { width: SOURCE, height: SOURCE, channels: 1 } })
      .png()
      .toFile(file);
    const mask = { width: SOURCE, height: SOURCE, data: new Uint8Array(SOURCE * SOURCE) };
    const positive = k % 4 === 0;
    if (positive) for (let y = 200; y < 500; y++) for (let x = 100 + k; x < 260 + k; x++) mask.data[y * SOURCE + x] = 1;
    items.push({ imageId, path: file, label: positive ? 1 : 0, rleRows: [encodeRle(mask)] });
  }
  return items;
}

function runPython(
  items: LoaderItem[],
  workers: number[],
): Record<string, { cold: number; cached: number }> | { error: string } {
  const script = path.join(PROJECT_ROOT, 'bench', 'loader_reference.py');
  const job = JSON.stringify({ items, size: SIZE, batchSize: BATCH, workers, seed: 1 });
  const out = spawnSync(PYTHON, [script], { input: job, encoding: 'utf8', maxBuffer: 1 << 26 });
  if (out.status !== 0)
    return { error: (out.stderr || out.error?.message || 'python failed').trim().split('\n').slice(-1)[0] };
  return (
    JSON.parse(out.stdout.trim().split('\n').pop()!) as { results: Record<string, { cold: number; cached: number }> }
  ).results;
}

export async function run({ quick }: { quick: boolean }): Promise<object> {
  const count = quick ? 16 : 64;
  const dir = await mkdtemp(path.join(tmpdir(), 'pneumo-bench-loader-'));
  try {
    const items = await writeSources(dir, count);
    const workerCounts = [1, 2];
    const ours: Record<string, object> = {};
    for (const workers of workerCounts) {
      ours[workers] = await measureLoaderThroughput(items, {
        size: SIZE,
        batchSize: BATCH,
        workers,
        augment: AUGMENT,
        seed: 1,
      });
    }
    const python = runPython(items, workerCounts);
    const ratio: Record<string, object> = {};
    if (!('error' in python)) {
      for (const w of workerCounts) {
        const o = ours[w] as { coldImagesPerSecond: number; cachedImagesPerSecond: number };
        ratio[w] = {
          cold: +(o.coldImagesPerSecond / python[w].cold).toFixed(2),
          cached: +(o.cachedImagesPerSecond / python[w].cached).toFixed(2),
        };
      }
    }
    const round = (o: object) => JSON.parse(JSON.stringify(o, (_k, v) => (typeof v === 'number' ? +v.toFixed(1) : v)));
    return {
      benchmark: 'loader',
      images: count,
      source: `${SOURCE}x${SOURCE} PNG`,
      size: SIZE,
      batch: BATCH,
      augment: Object.keys(AUGMENT),
      imagesPerSecond: { ours: round(ours), python: round(python) },
      ratioOursOverPython: ratio,
      note: 'cold includes worker start-up on both sides; cached = second epoch',
    };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
