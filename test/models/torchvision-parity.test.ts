// Parity with torchvision: a torchvision model with seeded random weights (batch-norm statistics
// randomised too), saved as safetensors by the committed Python script, loads here strictly by name
// and gives torchvision's eval-mode logits and segmentation_models.pytorch's five feature maps on the
// same input to 1e-4. A 1-channel ResNet-18 loaded from the 3-channel file (filters summed) gives
// what torchvision gives for the grey image repeated on three channels.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import * as torch from '../../src/torch/index.js';
import { createEncoder } from '../../src/models/encoders.js';
import { loadPretrained } from '../../src/models/pretrained.js';
import { assertClose } from '../torch/helpers.js';
import { disposeAll, readGolden, runGolden } from './golden.js';

const TOLERANCE = 1e-4;
let dir = '';
let cleanup = () => {};
before(() => {
  torch.setNumThreads(2);
  ({ dir, cleanup } = runGolden('parity'));
});
after(() => cleanup());

const CASES: { arch: string; ours: string; withClassifier: boolean }[] = [
  { arch: 'resnet18', ours: 'resnet18', withClassifier: true },
  { arch: 'densenet121', ours: 'densenet121', withClassifier: true },
  { arch: 'vgg16_bn', ours: 'vgg16_bn', withClassifier: false },
  { arch: 'efficientnet_b0', ours: 'efficientnet-b0', withClassifier: true },
];

for (const { arch, ours, withClassifier } of CASES) {
  test(`${ours} loaded from torchvision's ${arch} state dict matches its outputs`, async () => {
    const live = torch.liveTensors();
    const encoder = createEncoder(ours, { inChannels: 3, withClassifier }).eval();
    const io = readGolden(dir, `${arch}.io.safetensors`);
    try {
      const report = await loadPretrained(encoder, path.join(dir, `${arch}.safetensors`));
      assert.equal(report.loaded, encoder.stateDict().size);
      assert.deepEqual(report.dropped, []);
      assert.equal(report.firstConv, 'as-is');
      assert.equal(encoder.stateDict().get(encoder.firstConvKey)!.shape[1], 3);
      torch.noGrad(() =>
        torch.scope(() => {
          const input = io.get('input')!;
          const maps = encoder.forwardFeatures(input);
          assert.equal(maps.length, 5);
          maps.forEach((map, i) => {
            const expected = io.get(`feature${i}`)!;
            assert.deepEqual(map.shape, expected.shape, `feature ${i} shape`);
            assert.equal(map.shape[1], encoder.outChannels[i]);
            assertClose(map.toFloat32Array(), expected.toFloat32Array(), TOLERANCE, `${ours} feature ${i}`);
          });
          if (withClassifier) {
            const logits = encoder.forward(input);
            assert.deepEqual(logits.shape, io.get('logits')!.shape);
            assertClose(logits.toFloat32Array(), io.get('logits')!.toFloat32Array(), TOLERANCE, `${ours} logits`);
          }
        }),
      );
    } finally {
      disposeAll(io);
      encoder.dispose();
    }
    assert.equal(torch.liveTensors(), live);
  });
}

test('a 1-channel resnet18 from the 3-channel file gives torchvision`s logits of the grey image on three channels', async () => {
  const encoder = createEncoder('resnet18', { inChannels: 1, withClassifier: true }).eval();
  const io = readGolden(dir, 'resnet18.io.safetensors');
  const weights = readGolden(dir, 'resnet18.safetensors');
  try {
    const report = await loadPretrained(encoder, path.join(dir, 'resnet18.safetensors'));
    assert.equal(report.firstConv, 'summed');
    // The summed filter, checked element by element against the file's three channels.
    const rgb = weights.get('conv1.weight')!.toFloat32Array();
    const plane = 7 * 7;
    const expected = Array.from({ length: 64 * plane }, (_, i) => {
      const [o, k] = [Math.floor(i / plane), i % plane];
      return rgb[(o * 3 + 0) * plane + k] + rgb[(o * 3 + 1) * plane + k] + rgb[(o * 3 + 2) * plane + k];
    });
    const conv1 = encoder.stateDict().get('conv1.weight')!;
    assert.deepEqual(conv1.shape, [64, 1, 7, 7]);
    assertClose(conv1.toFloat32Array(), expected, 1e-6, 'summed conv1');
    torch.noGrad(() =>
      torch.scope(() => {
        const logits = encoder.forward(io.get('gray_input')!);
        assertClose(logits.toFloat32Array(), io.get('gray_logits')!.toFloat32Array(), TOLERANCE, 'grey logits');
      }),
    );
  } finally {
    disposeAll(io);
    disposeAll(weights);
    encoder.dispose();
  }
});
