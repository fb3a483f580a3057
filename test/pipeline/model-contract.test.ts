// The pipeline's default model factory is the registry of src/models: an unknown name is an
// UnknownArchitectureError listing the registry's names; a config that carries its own name (as
// training records it) is rebuilt as it is; other configs are options over the registry's defaults.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as torch from '../../src/torch/index.js';
import { MODELS, resolveConfig, Unet, Classifier } from '../../src/models/index.js';
import {
  classifierLogits,
  maskLogits,
  registryModelFactory,
  UnknownArchitectureError,
} from '../../src/pipeline/model-contract.js';
import { DEMO_MODELS } from '../../src/pipeline/demo-models.js';

test('an unknown architecture is an UnknownArchitectureError naming every registry model', () => {
  assert.throws(
    () => registryModelFactory('resnet-9000', {}),
    (err: Error) =>
      err instanceof UnknownArchitectureError &&
      err.architecture === 'resnet-9000' &&
      err.known.join() === Object.keys(MODELS).join() &&
      err.message.startsWith('unknown architecture `resnet-9000`, supported: unet-resnet18, '),
  );
});

test("the demo's models from a recorded config and from options; their outputs as the pipeline reads them", () => {
  const live = torch.liveTensors();
  const recorded = resolveConfig(DEMO_MODELS.segmenter, { decoderChannels: [32, 16, 16, 8, 8] });
  const segmenter = registryModelFactory(DEMO_MODELS.segmenter, recorded as unknown as Record<string, unknown>);
  const classifier = registryModelFactory(DEMO_MODELS.classifier, { pooling: 'avgmax' });
  try {
    assert.ok(segmenter instanceof Unet);
    assert.deepEqual(segmenter.config, recorded);
    assert.ok(classifier instanceof Classifier);
    assert.equal(classifier.config.pooling, 'avgmax');
    torch.noGrad(() =>
      torch.scope(() => {
        const x = torch.randn([2, 1, 64, 64]);
        assert.deepEqual(classifierLogits(classifier.eval().forward(x)).shape, [2]);
        assert.deepEqual(maskLogits(segmenter.eval().forward(x)).shape, [2, 1, 64, 64]);
      }),
    );
  } finally {
    segmenter.dispose();
    classifier.dispose();
  }
  assert.equal(torch.liveTensors(), live);
});
