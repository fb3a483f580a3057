// The inference transforms change how a model computes, never what: folded batch norms, channels-last
// weights and bf16 weights cast once give the outputs of the model as loaded, on models whose batch
// norms hold non-trivial statistics (a fresh model's mean 0 / variance 1 would hide a wrong fold).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as torch from '../../src/torch/index.js';
import { createModel } from '../../src/models/registry.js';
import type { Model } from '../../src/models/registry.js';

const INPUT = [2, 1, 64, 64];

/** A model in eval mode whose batch norms have random statistics and affine parameters. */
function modelWithStatistics(name: string, seed: number): Model {
  torch.manualSeed(seed);
  const model = createModel(name).eval();
  torch.noGrad(() => {
    for (const [, m] of model.namedModules())
      if (m instanceof torch.nn.BatchNorm2d) {
        const n = m.numFeatures;
        m.buffer('running_mean').copy_(torch.randn([n]).mul(0.3));
        m.buffer('running_var').copy_(torch.rand([n]).add(0.3));
        m.param('weight').copy_(torch.rand([n]).add(0.5));
        m.param('bias').copy_(torch.randn([n]).mul(0.2));
      }
  });
  return model;
}

function output(model: Model, input: torch.Tensor, precision: torch.Precision = 'fp32'): Float32Array {
  return torch.inferenceMode(() =>
    torch.scope(() => {
      const out = torch.withPrecision(precision, 'cpu', () => model.forward(input));
      const t = out instanceof torch.Tensor ? out : (out as { mask: torch.Tensor }).mask;
      return t.float().contiguous().toFloat32Array();
    }),
  );
}

function largestDifference(a: Float32Array, b: Float32Array): { diff: number; scale: number } {
  assert.equal(a.length, b.length);
  let diff = 0;
  let scale = 0;
  for (let i = 0; i < a.length; i++) {
    diff = Math.max(diff, Math.abs(a[i] - b[i]));
    scale = Math.max(scale, Math.abs(a[i]));
  }
  return { diff, scale };
}

const batchNorms = (model: Model) => [...model.namedModules()].filter(([, m]) => m instanceof torch.nn.BatchNorm2d);

// Expected folds: every batch norm of a ResNet U-Net follows a convolution; DenseNet's pre-activation
// layers put only norm0 and each dense layer's norm2 right after a convolution (58 + 1).
for (const [name, expectedFolds] of [
  ['unet-resnet18-w16', (m: Model) => batchNorms(m).length],
  ['classifier-densenet121', () => 59],
  ['unet-efficientnet-b0', (m: Model) => batchNorms(m).length],
] as const) {
  test(`${name}: folding the batch norms into their convolutions keeps the output`, () => {
    const model = modelWithStatistics(name, 1);
    torch.manualSeed(7);
    const x = torch.randn(INPUT).keep();
    const before = output(model, x);
    const expected = expectedFolds(model);
    const live = torch.liveTensors();
    const folded = torch.nn.foldBatchNorm(model, () => {
      model.forward(torch.zeros([1, 1, 64, 64]));
    });
    assert.equal(folded, expected, 'batch norms folded');
    // Each folded convolution had no bias and gains one; nothing else outlives the trace and the fold.
    assert.equal(torch.liveTensors(), live + folded, 'tensors alive after folding');
    const after = output(model, x);
    const { diff, scale } = largestDifference(before, after);
    assert.ok(scale > 0.1, `the output is not trivially small (${scale})`);
    assert.ok(diff <= 1e-4 * Math.max(1, scale), `largest difference ${diff} (output scale ${scale})`);
    assert.throws(() => model.train().forward(x), /inference only/);
    model.dispose();
    x.dispose();
  });
}

test('channels-last weights and input keep the output; 4-D weights are stored channels-last', () => {
  const model = modelWithStatistics('unet-resnet18-w16', 2);
  torch.manualSeed(8);
  const x = torch.randn(INPUT).keep();
  const before = output(model, x);
  torch.nn.toChannelsLast(model);
  const conv = model.stateDict().get('encoder.layer1.0.conv1.weight')!;
  const [, c, , w] = conv.shape;
  assert.deepEqual(torch.strides(conv), [c * 3 * w, 1, w * c, c], 'NHWC strides');
  const after = output(model, torch.contiguousAs(x, 'channels-last'));
  const { diff, scale } = largestDifference(before, after);
  assert.ok(diff <= 1e-4 * Math.max(1, scale), `largest difference ${diff}`);
  model.dispose();
  x.dispose();
});

test('bf16 weights cast once give exactly what autocast computes from the fp32 weights', () => {
  const model = modelWithStatistics('unet-resnet18-w16', 3);
  torch.manualSeed(9);
  const x = torch.randn(INPUT).keep();
  const before = output(model, x, 'bf16');
  torch.nn.castComputeWeights(model, 'bfloat16');
  const state = model.stateDict();
  assert.equal(state.get('encoder.conv1.weight')!.dtype, 'bfloat16');
  assert.equal(state.get('encoder.bn1.weight')!.dtype, 'float32', 'batch norm stays fp32');
  assert.equal(state.get('encoder.bn1.running_var')!.dtype, 'float32');
  const after = output(model, x, 'bf16');
  assert.deepEqual(after, before);
  model.dispose();
  x.dispose();
});
