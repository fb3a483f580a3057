// The base tester: every registry entry builds with its recorded parameter count, rebuilds from its
// JSON config, and runs forward and backward with gradients reaching every parameter: U-Nets at
// 64x64 batch 1, classifiers (the same encoders again) at 32x32 batch 2 (train-mode batch norm needs
// two values per channel at their 1x1 last map), to keep the suite lean.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as torch from '../../src/torch/index.js';
import {
  MODELS,
  createClassifier,
  createModel,
  createModelFromConfig,
  createSegmenter,
  ModelConfigError,
  type Model,
} from '../../src/models/registry.js';
import { Unet } from '../../src/models/unet.js';

function lossOf(model: Model, x: torch.Tensor): torch.Tensor {
  if (model instanceof Unet) {
    const out = model.forward(x);
    assert.deepEqual(out.mask.shape, [x.shape[0], 1, x.shape[2], x.shape[3]]);
    return out.label ? torch.add(out.mask.mean(), out.label.mean()) : out.mask.mean();
  }
  const logits = model.forward(x);
  assert.deepEqual(logits.shape, [x.shape[0]]);
  return logits.mean();
}

torch.setNumThreads(2);
for (const [name, entry] of Object.entries(MODELS)) {
  const size = entry.task === 'segmentation' ? 64 : 32;
  test(`${name}: recorded parameter count, JSON config round trip, forward and backward at ${size}x${size}`, () => {
    const live = torch.liveTensors();
    torch.manualSeed(7);
    const model = createModel(name);
    try {
      assert.equal(model.config.name, name);
      assert.equal(model.config.task, entry.task);
      assert.equal(model.parameterCount(), entry.params);
      const rebuilt = createModelFromConfig(JSON.parse(JSON.stringify(model.config)));
      assert.deepEqual(
        [...rebuilt.stateDict()].map(([k, t]) => `${k}:${t.shape.join('x')}`),
        [...model.stateDict()].map(([k, t]) => `${k}:${t.shape.join('x')}`),
      );
      rebuilt.dispose();
      model.train();
      torch.scope(() => {
        const x = torch.randn([entry.task === 'segmentation' ? 1 : 2, 1, size, size]);
        const loss = lossOf(model, x);
        assert.ok(Number.isFinite(loss.item()));
        loss.backward();
        for (const [key, p] of model.namedParameters()) {
          const grad = p.grad;
          assert.ok(grad, `${name}: no gradient reached ${key}`);
          assert.deepEqual(grad.shape, p.shape);
        }
      });
    } finally {
      model.dispose();
    }
    assert.equal(torch.liveTensors(), live);
  });
}

test('an unknown name lists the supported ones; options are checked against the task', () => {
  assert.throws(
    () => createModel('unet-resnet35'),
    (err: Error) => {
      assert.ok(err instanceof ModelConfigError);
      assert.match(
        err.message,
        /^Wrong model name `unet-resnet35`, supported: \[unet-resnet18, unet-resnet34, .*classifier-vgg19_bn.*\]$/,
      );
      return true;
    },
  );
  assert.throws(
    () => createModel('classifier-resnet18', { decoderChannels: [1, 2, 3, 4, 5] }),
    /option `decoderChannels` does not apply to a classification model/,
  );
  assert.throws(
    () => createModel('unet-resnet18-w16', { decoderChannels: [8, 8, 8, 8] }),
    /expected 5 positive integers \(deepest block first\) for decoderChannels but received \[8,8,8,8\]/,
  );
  assert.throws(
    () => createModel('unet-resnet18-w16', { upsampling: 'bilinear' as 'nearest' }),
    /expected "nearest" or "transposed" for upsampling/,
  );
  assert.throws(
    () => createModel('classifier-resnet18-w16', { dropout: 1.5 }),
    /expected a probability in \[0, 1\) for dropout but received 1.5/,
  );
  assert.throws(
    () => createSegmenter('classifier-resnet18-w16'),
    /is a classification model; segmenters: unet-resnet18/,
  );
  assert.throws(
    () => createClassifier('unet-resnet18-w16'),
    /is a segmentation model; classifiers: classifier-resnet18/,
  );
  assert.throws(
    () => createModelFromConfig({ ...createModelFromConfigInput(), encoder: 'resnet34' }),
    /config says segmentation with encoder resnet34, the registry segmentation with resnet18-w16/,
  );
});

function createModelFromConfigInput() {
  return structuredClone(MODELS['unet-resnet18-w16'].defaults);
}

test('options reach the model: 3 input channels, transposed upsampling, scSE, aux head, avg+max pooling', () => {
  const unet = createSegmenter('unet-resnet18-w16', {
    inChannels: 3,
    upsampling: 'transposed',
    attention: 'scse',
    auxHead: true,
  });
  const classifier = createClassifier('classifier-resnet18-w16', { pooling: 'avgmax' });
  try {
    const keys = new Map([...unet.stateDict()].map(([k, t]) => [k, t.shape]));
    assert.deepEqual(keys.get('encoder.conv1.weight'), [16, 3, 7, 7]);
    assert.deepEqual(keys.get('decoder.blocks.0.upsample.weight'), [128, 128, 2, 2]);
    assert.deepEqual(keys.get('decoder.blocks.0.attention1.attention.cSE.1.weight'), [12, 192, 1, 1]);
    assert.deepEqual(keys.get('decoder.blocks.4.attention2.attention.sSE.0.weight'), [1, 8, 1, 1]);
    // smp gives the last block (no skip) an attention1 its forward never uses; ours has no such dead weights.
    assert.equal(keys.has('decoder.blocks.4.attention1.attention.cSE.1.weight'), false);
    assert.deepEqual(keys.get('classification_head.3.weight'), [1, 128]);
    assert.deepEqual(keys.get('segmentation_head.0.weight'), [1, 8, 3, 3]);
    assert.deepEqual(classifier.stateDict().get('head.1.weight')!.shape, [1, 256]);
  } finally {
    unet.dispose();
    classifier.dispose();
  }
});
