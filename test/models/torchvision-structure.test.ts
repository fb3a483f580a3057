// Our encoders against torchvision 0.14's own models: the same state-dict keys in the same order with
// the same shapes and dtypes, the same parameter count, and the same conv+linear MACs.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import * as torch from '../../src/torch/index.js';
import { createEncoder } from '../../src/models/encoders.js';
import { runGolden } from './golden.js';

interface Reference {
  keys: [string, number[], string][];
  params: number;
  macs64: number;
}

const OURS: Record<string, string> = {
  resnet18: 'resnet18',
  resnet34: 'resnet34',
  resnet50: 'resnet50',
  densenet121: 'densenet121',
  // The plain/batch-norm variants share their builder; one of each keeps VGG's 120M-parameter heads few.
  vgg16: 'vgg16',
  vgg19_bn: 'vgg19_bn',
  efficientnet_b0: 'efficientnet-b0',
};

let reference: Record<string, Reference>;
let cleanup = () => {};
before(() => {
  const golden = runGolden('structure');
  cleanup = golden.cleanup;
  reference = JSON.parse(readFileSync(path.join(golden.dir, 'structure.json'), 'utf8')) as Record<string, Reference>;
});
after(() => cleanup());

for (const [arch, ours] of Object.entries(OURS)) {
  test(`${ours}: state dict, parameter count and MACs equal torchvision's ${arch}`, () => {
    const live = torch.liveTensors();
    const encoder = createEncoder(ours, { inChannels: 3, withClassifier: true });
    try {
      const expected = reference[arch];
      const actual = [...encoder.stateDict()].map(([k, t]) => [
        k,
        t.shape,
        t.dtype === 'float32' ? 'float32' : t.dtype,
      ]);
      assert.deepEqual(actual, expected.keys);
      assert.equal(encoder.parameterCount(), expected.params);
      assert.equal(encoder.macs([3, 64, 64]).macs, expected.macs64);
    } finally {
      encoder.dispose();
    }
    assert.equal(torch.liveTensors(), live);
  });
}
