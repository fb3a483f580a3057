import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runPneumo } from '../cli/run-pneumo.js';

test('fit --print-plan prints the resolved plan and a projection for 12,047 films, and trains nothing', () => {
  const run = runPneumo([
    'fit',
    '--print-plan',
    '--preset',
    'gpu-512',
    '--size',
    '64',
    '--set',
    'segmenter.epochs=3',
    '--folds',
    '2',
    '--threads',
    '1',
    '--json',
  ]);
  assert.equal(run.status, 0, run.stderr);
  const printed = JSON.parse(run.stdout) as {
    plan: { preset: string; inputSize: number; folds: number; segmenter: { epochs: number; model: string } };
    measured: { device: string; note: string | null; segmenter: { trainSecondsPerImage: number } };
    projection: { images: number; hours: number; seconds: { segmenter: number } };
  };
  assert.equal(printed.plan.preset, 'gpu-512');
  assert.equal(printed.plan.inputSize, 64);
  assert.equal(printed.plan.folds, 2);
  assert.equal(printed.plan.segmenter.epochs, 3);
  assert.equal(printed.plan.segmenter.model, 'unet-resnet34');
  assert.equal(printed.projection.images, 12047);
  assert.ok(printed.measured.segmenter.trainSecondsPerImage > 0);
  assert.ok(printed.projection.hours > 0);
  if (printed.measured.device === 'cpu') assert.match(printed.measured.note ?? '', /no cuda: measured on the CPU/);

  const text = runPneumo(['fit', '--print-plan', '--size', '64', '--threads', '1']);
  assert.equal(text.status, 0, text.stderr);
  assert.match(text.stdout, /^# pneumo fit plan \(preset cpu/);
  assert.match(text.stdout, /segmenter:\n {2}model: unet-resnet18-w16\n {2}epochs: 30/);
  assert.match(text.stdout, /projected for 12047 films/);
});

test('fit usage errors exit 2 with one line', () => {
  const cases: [string[], RegExp][] = [
    [['fit', '--out', 'x'], /fit needs --data DIR and --out DIR/],
    [['fit', '--print-plan', '--set', 'epochs=3'], /unknown setting epochs/],
    [['fit', '--print-plan', '--size', '100'], /inputSize/],
    [['fit', '--print-plan', '--preset', 'tpu'], /argument 'tpu' is invalid/],
    [['fit', '--print-plan', '--rle', 'sideways'], /argument 'sideways' is invalid/],
  ];
  for (const [args, message] of cases) {
    const run = runPneumo(args);
    assert.equal(run.status, 2, `${args.join(' ')}: ${run.stderr}`);
    assert.match(run.stderr, message);
    assert.equal(run.stderr.trim().split('\n').length, 1, run.stderr);
  }
});
