import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runPneumo } from './run-pneumo.js';

const pneumo = (...args: string[]) => runPneumo(['models', ...args]);

test('pneumo models --json: one object per model with parameters and GFLOPs at the size', () => {
  const run = pneumo('unet-resnet18-w16', 'classifier-resnet18-w16', '--json', '--size', '64');
  assert.equal(run.status, 0, run.stderr);
  const rows = run.stdout
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as { name: string; task: string; params: number; gflops: number; size: number });
  assert.deepEqual(
    rows.map((r) => [r.name, r.task, r.params, r.size]),
    [
      ['unet-resnet18-w16', 'segmentation', 903_321, 64],
      ['classifier-resnet18-w16', 'classification', 700_657, 64],
    ],
  );
  // The classifier is the U-Net's encoder plus a 128 -> 1 head: fewer FLOPs than the whole U-Net.
  assert.ok(rows[1].gflops > 0 && rows[1].gflops < rows[0].gflops);
});

test('pneumo models: a table by default; an unknown name or a bad size exits 1 with one line', () => {
  const table = pneumo('classifier-resnet18-w16', '--size', '128');
  assert.equal(table.status, 0, table.stderr);
  assert.match(
    table.stdout,
    /^model\s+task\s+encoder\s+params\s+GFLOPs@128\nclassifier-resnet18-w16\s+classification\s+resnet18-w16\s+0\.70M\s+\d+\.\d\d\n$/,
  );
  const unknown = pneumo('unet-resnet99');
  assert.equal(unknown.status, 2);
  assert.match(unknown.stderr, /^pneumo: Wrong model name `unet-resnet99`, supported: \[unet-resnet18, .*\]\n$/);
  const size = pneumo('--size', '-3');
  assert.equal(size.status, 2);
});
