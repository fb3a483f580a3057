// The benchmarks' PyTorch side builds pneumo's registry architectures by hand
// (bench/registry_models.py). Each build must take a pneumo state dict strictly by name, have the
// registry's parameter count and give pneumo's outputs on the same input: the demo's two models, and
// a U-Net and a classifier with every option that changes the module tree, and bench train's
// DenseNet-121 classifier.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import * as torch from '../../src/torch/index.js';
import { createModel, MODELS, type ModelOptions } from '../../src/models/index.js';
import { DEMO_MODELS } from '../../src/pipeline/demo-models.js';
import { pythonJson } from '../../bench/support/python.js';

const CASES: { name: string; options: ModelOptions }[] = [
  { name: DEMO_MODELS.classifier, options: {} },
  { name: DEMO_MODELS.segmenter, options: {} },
  {
    name: 'unet-resnet18-w16',
    options: { attention: 'scse', upsampling: 'transposed', auxHead: true, batchNorm: false, inChannels: 3 },
  },
  { name: 'classifier-resnet18-w16', options: { pooling: 'avgmax' } },
  // bench train's classifier.
  { name: 'classifier-densenet121', options: {} },
];

for (const { name, options } of CASES) {
  test(`bench/registry_models.py builds ${name} ${JSON.stringify(options)} as pneumo does`, () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'pneumo-registry-models-'));
    torch.manualSeed(3);
    const model = createModel(name, options).eval();
    try {
      const file = path.join(dir, 'model.safetensors');
      const parameters = model.parameters().reduce((sum, p) => sum + p.numel, 0);
      if (Object.keys(options).length === 0) assert.equal(parameters, MODELS[name].params);
      torch.noGrad(() =>
        torch.scope(() => {
          const input = torch.randn([2, model.config.inChannels, 64, 64]);
          const output = model.forward(input);
          const logits = output instanceof torch.Tensor ? output : output.mask;
          torch.saveSafetensors(file, new Map([...model.stateDict(), ['__input', input], ['__output', logits]]));
        }),
      );
      const result = pythonJson<{ parameters: number; maxAbsDiff: number }>(
        'test/bench/registry_models_check.py',
        file,
        JSON.stringify(model.config),
      );
      assert.equal(result.parameters, parameters);
      assert.ok(result.maxAbsDiff < 1e-4, `largest difference ${result.maxAbsDiff}`);
    } finally {
      model.dispose();
      rmSync(dir, { recursive: true, force: true });
    }
  });
}
