// Gradients from libtorch's autograd, driven from TypeScript, against central finite differences in
// float64.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as torch from '../../src/torch/index.js';
import type { Tensor } from '../../src/torch/index.js';

function gradcheck(name: string, shapes: number[][], fn: (...xs: Tensor[]) => Tensor, eps = 1e-6, tol = 1e-5): void {
  torch.scope(() => {
    torch.manualSeed(shapes.length * 7 + name.length);
    const inputs = shapes.map((s) => torch.randn(s, { dtype: 'float64' }).requiresGrad_());
    fn(...inputs)
      .sum()
      .backward();
    const analytic = inputs.map((x) => Array.from(x.grad!.data() as Float64Array));
    inputs.forEach((x, k) => {
      const base = x.detach().data() as Float64Array;
      for (let i = 0; i < base.length; i++) {
        const at = (delta: number) =>
          torch.scope(() =>
            torch.noGrad(() => {
              const shifted = Float64Array.from(base);
              shifted[i] += delta;
              const args = inputs.map((y, j) => (j === k ? torch.tensor(shifted, x.shape) : y.detach()));
              return fn(...args)
                .sum()
                .item();
            }),
          );
        const numeric = (at(eps) - at(-eps)) / (2 * eps);
        const a = analytic[k][i];
        assert.ok(
          Math.abs(numeric - a) <= tol * Math.max(1, Math.abs(numeric)),
          `${name}: d/dx${k}[${i}] autograd ${a} vs numeric ${numeric}`,
        );
      }
    });
  });
}

test('elementwise and broadcasting gradients', () => {
  gradcheck('mul-add', [[3, 4], [4]], (a, b) => torch.add(torch.mul(a, a), torch.mul(a, b)));
  gradcheck('div', [[5]], (a) => torch.div(torch.ones([5], { dtype: 'float64' }), torch.add(torch.mul(a, a), 1)));
  gradcheck('exp-log-sqrt', [[6]], (a) =>
    torch.add(torch.exp(a), torch.log(torch.add(torch.mul(a, a), 1))).add(torch.sqrt(torch.add(torch.abs(a), 0.5))),
  );
  gradcheck('pow', [[4]], (a) => torch.pow(torch.add(torch.abs(a), 0.1), 2.5));
  gradcheck('sigmoid-tanh-silu', [[6]], (a) => torch.add(torch.sigmoid(a), torch.tanh(a)).add(torch.silu(a)));
  gradcheck('softmax', [[2, 5]], (a) => torch.mul(torch.softmax(a, 1), torch.arange(0, 5, 1, { dtype: 'float64' })));
  gradcheck('log_softmax', [[3, 4]], (a) =>
    torch.mul(torch.logSoftmax(a, 1), torch.arange(0, 4, 1, { dtype: 'float64' })),
  );
});

test('reduction and shape gradients', () => {
  gradcheck('mean-dim', [[3, 4]], (a) => torch.mul(torch.mean(a, 1), torch.tensor(new Float64Array([1, 2, 3]))));
  gradcheck(
    'matmul',
    [
      [2, 3],
      [3, 4],
    ],
    (a, b) => torch.matmul(a, b),
  );
  gradcheck('reshape-permute-slice', [[2, 3, 4]], (a) =>
    torch
      .slice(torch.permute(a, [2, 0, 1]), 0, 1, 3)
      .reshape([-1])
      .pow(2),
  );
  gradcheck(
    'cat-flip-pad',
    [
      [2, 3],
      [2, 2],
    ],
    (a, b) => torch.pad(torch.flip(torch.cat([a, b], 1), [1]), [1, 2]).pow(2),
  );
});

test('convolution, pooling, normalisation and loss gradients', () => {
  gradcheck(
    'conv2d',
    [[2, 2, 5, 5], [3, 2, 3, 3], [3]],
    (x, w, b) => torch.conv2d(x, w, b, { padding: 1, stride: 2 }).pow(2),
    1e-6,
    1e-4,
  );
  gradcheck(
    'conv_transpose2d',
    [
      [1, 2, 3, 3],
      [2, 3, 2, 2],
    ],
    (x, w) => torch.convTranspose2d(x, w, null, { stride: 2 }).pow(2),
    1e-6,
    1e-4,
  );
  gradcheck('max_pool2d', [[1, 1, 4, 4]], (x) => torch.maxPool2d(x, 2).pow(2));
  gradcheck('avg_pool2d', [[1, 2, 4, 4]], (x) => torch.avgPool2d(x, 2).pow(2));
  gradcheck('bilinear', [[1, 1, 3, 3]], (x) => torch.interpolate(x, { scaleFactor: 2, mode: 'bilinear' }).pow(2));
  gradcheck(
    'batch_norm',
    [[4, 2, 2, 2], [2], [2]],
    (x, w, b) =>
      torch.mul(
        torch.batchNorm(x, null, null, w, b, true, 0.1, 1e-5),
        torch.arange(0, 32, 1, { dtype: 'float64' }).reshape([4, 2, 2, 2]),
      ),
    1e-6,
    1e-4,
  );
  gradcheck(
    'group_norm',
    [[2, 4, 2, 2]],
    (x) => torch.mul(torch.groupNorm(x, 2), torch.arange(0, 32, 1, { dtype: 'float64' }).reshape([2, 4, 2, 2])),
    1e-6,
    1e-4,
  );
  gradcheck('bce_with_logits', [[6]], (x) =>
    torch.binaryCrossEntropyWithLogits(x, torch.tensor(new Float64Array([0, 1, 1, 0, 1, 0])), {
      posWeight: torch.tensor(new Float64Array([3])),
    }),
  );
});

test('backward accumulates into leaves and zeroGrad drops it', () =>
  torch.scope(() => {
    const x = torch.tensor([1, 2, 3]).requiresGrad_();
    x.mul(x).sum().backward();
    assert.deepEqual(x.grad!.toArray(), [2, 4, 6]);
    x.mul(x).sum().backward();
    assert.deepEqual(x.grad!.toArray(), [4, 8, 12]);
    x.zeroGrad();
    assert.equal(x.grad, null);
    torch.noGrad(() => assert.equal(x.mul(2).requiresGrad, false));
    assert.equal(x.mul(2).requiresGrad, true);
  }));
