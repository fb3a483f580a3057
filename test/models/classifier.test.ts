// Classifier specifics: the pooled head computed independently, avg+max pooling, and freezing the
// encoder (no gradients, batch-norm statistics kept) and unfreezing it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as torch from '../../src/torch/index.js';
import { createClassifier } from '../../src/models/registry.js';
import { assertClose } from '../torch/helpers.js';

test('the logit is the linear head on the global average (or average and max) of the last map', () => {
  for (const pooling of ['avg', 'avgmax'] as const) {
    const model = createClassifier('classifier-resnet18-w16', { pooling }).eval();
    try {
      torch.noGrad(() =>
        torch.scope(() => {
          const x = torch.randn([3, 1, 64, 48]);
          const logits = model.forward(x);
          assert.deepEqual(logits.shape, [3]);
          const map = model.encoder.forwardHead(x);
          assert.deepEqual(map.shape, [3, 128, 2, 2]);
          const avg = map.mean([2, 3]);
          const features = pooling === 'avg' ? avg : torch.cat([avg, torch.max(map.flatten(2), 2).values], 1);
          const expected = torch.add(
            torch.matmul(features, model.head.child<torch.nn.Linear>('1').param('weight').transpose(0, 1)),
            model.head.child<torch.nn.Linear>('1').param('bias'),
          );
          assertClose(logits.toFloat32Array(), expected.flatten().toFloat32Array(), 1e-5, pooling);
        }),
      );
    } finally {
      model.dispose();
    }
  }
});

test('a frozen encoder gets no gradients and keeps its batch-norm statistics; unfreezing trains it again', () => {
  torch.manualSeed(3);
  const model = createClassifier('classifier-resnet18-w16').freezeEncoder();
  try {
    model.train();
    assert.equal(model.encoderFrozen, true);
    assert.equal(model.encoder.training, false, 'frozen encoder stays in eval mode');
    assert.equal(model.parameterCount(true), 128 + 1);
    const runningMean = model.encoder.stateDict().get('bn1.running_mean')!.toFloat32Array();
    torch.scope(() => {
      const loss = model.forward(torch.randn([4, 1, 64, 64])).mean();
      loss.backward();
    });
    assert.equal(model.encoder.stateDict().get('conv1.weight')!.grad, null);
    assert.ok(model.head.child<torch.nn.Linear>('1').param('weight').grad);
    assert.deepEqual(model.encoder.stateDict().get('bn1.running_mean')!.toFloat32Array(), runningMean);

    model.freezeEncoder(false);
    assert.equal(model.encoder.training, true);
    assert.equal(model.parameterCount(true), model.parameterCount());
    torch.scope(() =>
      model
        .forward(torch.randn([4, 1, 64, 64]))
        .mean()
        .backward(),
    );
    assert.ok(model.encoder.stateDict().get('conv1.weight')!.grad);
    assert.notDeepEqual(model.encoder.stateDict().get('bn1.running_mean')!.toFloat32Array(), runningMean);
  } finally {
    model.dispose();
  }
});
