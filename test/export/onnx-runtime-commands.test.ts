// --runtime onnx through the commands: `pneumo predict` writes the libtorch run's predictions (same
// masks up to pixels on the threshold, probabilities within 1e-4), and the service's worker pool runs its jobs on ONNX Runtime.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { decodeRle } from '../../src/data/rle.js';
import { ProcessPool } from '../../src/serve/inference/process-pool.js';
import { registryBundle } from '../interop/registry-bundle.js';
import { runPneumo } from '../cli/run-pneumo.js';
import { fixture } from '../fixture-path.js';

const root = mkdtempSync(path.join(tmpdir(), 'pneumo-onnx-commands-'));
test.after(() => rmSync(root, { recursive: true, force: true }));

const FILMS = [
  '1.2.276.0.7230010.3.1.4.8323329.4904.1517875185.355709.dcm',
  '1.2.276.0.7230010.3.1.4.8323329.1000.1517875165.878027.dcm',
].map((f) => fixture('siim-sample', f));
// A pixel threshold in the middle of these random models' maps, so that the masks are not empty.
const bundle = await registryBundle(root, 0.5);

interface Row {
  id: string;
  probability: number;
  rle: string;
}
const rows = (dir: string): Row[] =>
  readFileSync(path.join(dir, 'predictions.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as Row)
    // Files are read concurrently: the lines come in any order.
    .sort((x, y) => x.id.localeCompare(y.id));

test('pneumo predict --runtime onnx writes the predictions of --runtime libtorch', () => {
  const results: Row[][] = [];
  for (const runtime of ['libtorch', 'onnx']) {
    const out = path.join(root, `predict-${runtime}`);
    const run = runPneumo([
      'predict',
      '--bundle',
      bundle,
      '--out',
      out,
      '--runtime',
      runtime,
      '--threads',
      '2',
      ...FILMS,
    ]);
    assert.equal(run.status, 0, run.stderr);
    results.push(rows(out));
  }
  const [a, b] = results;
  assert.equal(a.length, FILMS.length);
  assert.deepEqual(
    b.map((r) => r.id),
    a.map((r) => r.id),
  );
  for (let i = 0; i < a.length; i++) {
    assert.ok(Math.abs(a[i].probability - b[i].probability) < 1e-4, `${a[i].probability} vs ${b[i].probability}`);
    // Random weights put many pixels near the threshold: a few may fall either side of it.
    const x = decodeRle(a[i].rle, 1024, 1024).data;
    const y = decodeRle(b[i].rle, 1024, 1024).data;
    let differing = 0;
    for (let k = 0; k < x.length; k++) if (x[k] !== y[k]) differing++;
    assert.ok(differing <= x.length * 1e-4, `${differing} mask pixels differ`);
  }
  const bad = runPneumo([
    'predict',
    '--bundle',
    bundle,
    '--out',
    path.join(root, 'x'),
    '--runtime',
    'tensorrt',
    FILMS[0],
  ]);
  assert.equal(bad.status, 2);
  assert.match(bad.stderr, /--runtime <r>' argument 'tensorrt' is invalid/);
});

test("the service's worker pool runs its jobs on ONNX Runtime (--runtime onnx)", async () => {
  const outDir = path.join(root, 'derived');
  mkdirSync(outDir, { recursive: true });
  const pool = new ProcessPool({ bundleDir: bundle, workers: 1, threads: 2, runtime: 'onnx' });
  try {
    await pool.start();
    const output = await pool.run({ uid: '1.2.3', dicomFile: FILMS[0], outDir });
    const libtorch = rows(path.join(root, 'predict-libtorch')).find((r) => FILMS[0].includes(r.id))!;
    assert.ok(Math.abs(output.probability - libtorch.probability) < 1e-4, `${output.probability}`);
    assert.ok(readFileSync(path.join(outDir, output.overlayFile)).length > 0);
  } finally {
    await pool.close();
  }
});
