// Dynamic loss scaling as PyTorch's GradScaler: gradients reach the optimizer unscaled; a step with
// an inf gradient (injected here, in fp32 on the CPU) is skipped and halves the scale; growthInterval
// clean steps in a row double it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as torch from '../../../src/torch/index.js';
import { optim } from '../../../src/torch/index.js';

function problem() {
  const w = torch.tensor(new Float32Array([1, 2, 3]), [3]).keep();
  w.requiresGrad = true;
  const sgd = new optim.SGD([w], { lr: 0.1 });
  /** One training step of loss = sum(w * x) through the scaler; returns whether it stepped. */
  const step = (scaler: optim.GradScaler, x: number[]) =>
    torch.scope(() => {
      sgd.zeroGrad();
      scaler.scaleLoss(torch.sum(torch.mul(w, torch.tensor(new Float32Array(x), [3])))).backward();
      const stepped = scaler.step(sgd, [w]);
      scaler.update();
      return stepped;
    });
  return { w, sgd, step };
}

test('the optimizer sees unscaled gradients, and the scale grows after growthInterval clean steps', () => {
  const { w, sgd, step } = problem();
  const scaler = new optim.GradScaler({ initScale: 1024, growthInterval: 2 });
  assert.equal(step(scaler, [1, 1, 2]), true);
  // d/dw sum(w * x) = x, so w - 0.1 * x, whatever the scale was.
  assert.deepEqual(
    Array.from(w.toFloat32Array(), (v) => Number(v.toFixed(5))),
    [0.9, 1.9, 2.8],
  );
  assert.equal(scaler.scale, 1024);
  assert.equal(scaler.growthTracker, 1);
  step(scaler, [1, 1, 2]);
  assert.equal(scaler.scale, 2048, 'grown after 2 clean steps');
  assert.equal(scaler.growthTracker, 0);
  w.dispose();
  sgd.dispose();
});

test('a step with an inf gradient is skipped, the parameters are untouched, and the scale backs off', () => {
  const { w, sgd, step } = problem();
  const scaler = new optim.GradScaler({ initScale: 2 ** 16, growthInterval: 3 });
  step(scaler, [1, 1, 1]);
  const before = Array.from(w.toFloat32Array());
  assert.equal(step(scaler, [1, Infinity, 1]), false, 'skipped');
  assert.deepEqual(Array.from(w.toFloat32Array()), before, 'no parameter moved');
  assert.equal(scaler.scale, 2 ** 15);
  assert.equal(scaler.growthTracker, 0, 'the clean-step count restarts');
  assert.equal(step(scaler, [NaN, 0, 0]), false, 'NaN is skipped too');
  assert.equal(scaler.scale, 2 ** 14);
  assert.equal(step(scaler, [1, 1, 1]), true, 'training goes on');
  assert.deepEqual(
    Array.from(w.toFloat32Array(), (v) => Number(v.toFixed(5))),
    before.map((v) => Number((v - 0.1).toFixed(5))),
  );
  assert.deepEqual(scaler.stateDict(), { scale: 2 ** 14, growthTracker: 1 });
  w.dispose();
  sgd.dispose();
});

test('a disabled scaler passes everything through (fp32 and bf16 runs)', () => {
  const { w, sgd, step } = problem();
  const scaler = new optim.GradScaler({ enabled: false });
  assert.equal(step(scaler, [1, 1, 1]), true);
  assert.deepEqual(
    Array.from(w.toFloat32Array(), (v) => Number(v.toFixed(5))),
    [0.9, 1.9, 2.9],
  );
  w.dispose();
  sgd.dispose();
});
