import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { testSubgroups } from '../../src/demo/test-subgroups.js';
import type { PipelineRecord } from '../../src/evaluate/threshold-sweep.js';

const dir = mkdtempSync(path.join(tmpdir(), 'pneumo-subgroups-'));
after(() => rmSync(dir, { recursive: true, force: true }));

test("the demo's test images are grouped by drain and by mask-size band as synth.json records them", async () => {
  const side = 100; // 10,000 pixels: 0.4% is 40 pixels, 1.8% is 180
  const images = [
    { imageId: 'small', maskPixels: 20, chestDrain: null, positive: true },
    { imageId: 'medium', maskPixels: 100, chestDrain: 'left', positive: true },
    { imageId: 'large', maskPixels: 500, chestDrain: null, positive: true },
    { imageId: 'neg-drain', maskPixels: 0, chestDrain: 'right', positive: false },
    { imageId: 'neg', maskPixels: 0, chestDrain: null, positive: false },
  ];
  writeFileSync(path.join(dir, 'synth.json'), JSON.stringify({ parameters: { size: side }, images }));
  const records: PipelineRecord[] = images.map((image, i) => ({
    imageId: image.imageId,
    label: image.positive ? 1 : 0,
    probability: [0.2, 0.9, 0.8, 0.95, 0.1][i],
    segmentedDice: image.positive ? 0.5 : 1,
    maskFound: image.positive,
  }));
  const groups = await testSubgroups(dir, records, { classifier: 0.5, pixel: 0.5, minArea: 0 });
  const [withDrain, withoutDrain] = groups.tubes;
  assert.deepEqual([withDrain.images, withDrain.positives], [2, 1]);
  // The drain negative scores above the drain positive: the shortcut this group exposes.
  assert.equal(withDrain.rocAuc, 0);
  assert.deepEqual([withoutDrain.images, withoutDrain.positives], [3, 2]);
  assert.equal(withoutDrain.rocAuc, 1);
  // Each band: its own positives and every negative.
  assert.deepEqual(
    groups.sizeBands.map((g) => [g.images, g.positives]),
    [
      [3, 1],
      [3, 1],
      [3, 1],
    ],
  );
  assert.deepEqual(
    groups.sizeBands.map((g) => g.classifierRecall),
    [0, 1, 1],
  );
});
