// The addon is context-aware: the main thread and two worker threads each load their own instance,
// and the workers predict at the same time while the main thread's event loop keeps running.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import * as torch from '../../src/torch/index.js';
import { makeBundle } from '../../src/pipeline/bundle.js';
import { Predictor } from '../../src/pipeline/predictor.js';
import { tinyModelFactory, writeTinyRun } from './tiny-models.js';
import { squareImage } from './synthetic-images.js';
import type { PredictJob, PredictReport } from './predict-worker.js';

const root = mkdtempSync(path.join(tmpdir(), 'pneumo-predictor-worker-'));
test.after(() => rmSync(root, { recursive: true, force: true }));

function runWorker(job: PredictJob): Promise<PredictReport> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(new URL('./predict-worker.js', import.meta.url), { workerData: job });
    worker.once('message', (report: PredictReport) => resolve(report));
    worker.once('error', reject);
    worker.once('exit', (code) => {
      if (code !== 0) reject(new Error(`worker exited with code ${code}`));
    });
  });
}

test('two workers predict at once, match the main thread, and the main event loop keeps turning', async () => {
  const c = path.join(root, 'c');
  const s = path.join(root, 's');
  await writeTinyRun(c, { role: 'classifier', inputSize: 256, seed: 5, channels: 8 });
  await writeTinyRun(s, { role: 'segmenter', inputSize: 256, seed: 6, channels: 8 });
  const bundle = path.join(root, 'bundle');
  // Threshold 0 sends every image to the segmenter, so both models run in the workers.
  await makeBundle({ classifierRun: c, segmenterRun: s, out: bundle, thresholds: { classifier: 0 } });
  const images = [
    squareImage(512, 512, { x: 100, y: 200, side: 120 }),
    squareImage(512, 512, null),
    squareImage(512, 512, { x: 300, y: 40, side: 60 }),
  ];

  // The main thread holds its own tensors while the workers run: their handles must stay valid.
  const held = torch.ones([2, 2]);
  const mainPredictor = await Predictor.load(bundle, { modelFactory: tinyModelFactory, threads: 1 });
  const expected = mainPredictor.predict(images);

  let ticks = 0;
  let longestGap = 0;
  let last = performance.now();
  const timer = setInterval(() => {
    const now = performance.now();
    longestGap = Math.max(longestGap, now - last);
    last = now;
    ticks++;
  }, 5);
  const reports = await Promise.all([0, 1].map(() => runWorker({ bundle, images, rounds: 12 })));
  clearInterval(timer);

  for (const report of reports) {
    assert.deepEqual(
      report.probabilities,
      Array.from(expected, (p) => p.probability),
    );
    assert.deepEqual(
      report.areas,
      Array.from(expected, (p) => p.area),
    );
    assert.deepEqual(
      report.rles,
      Array.from(expected, (p) => p.rle),
    );
    assert.equal(report.liveTensorsAfter, 0, 'a worker counts only its own tensors, and releases them all');
  }
  const [a, b] = reports;
  assert.ok(a.start < b.end && b.start < a.end, 'the two workers were predicting at the same time');
  const busy = Math.max(a.end, b.end) - Math.min(a.start, b.start);
  // A blocked loop would fire once at the end; a free one about every 5 ms (on a loaded machine,
  // generously: every 200 ms).
  assert.ok(ticks >= Math.floor(busy / 200), `${ticks} timer ticks in ${busy.toFixed(0)} ms of worker time`);
  assert.ok(longestGap < 1000, `the main event loop stalled for ${longestGap.toFixed(0)} ms`);

  // The main thread's instance is untouched by the workers' loading and teardown.
  assert.deepEqual(Array.from(held.toFloat32Array()), [1, 1, 1, 1]);
  assert.deepEqual(
    mainPredictor.predict(images).map((p) => p.rle),
    expected.map((p) => p.rle),
  );
  held.dispose();
  mainPredictor.dispose();
});
