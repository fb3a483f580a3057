// ONNX Runtime as the predictor's second engine gives libtorch's outputs, for every encoder family
// of the registry (ResNet, DenseNet, EfficientNet, VGG with and without batch norm) and every U-Net option
// that changes the graph (scSE, aux head, peak logit, transposed upsampling, no batch norm, padding
// to a multiple of 32): classifier probabilities and segmenter maps within 1e-4 on a SIIM sample
// film, and the same masks after thresholding. Small inputs and random weights keep it fast.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as torch from '../../src/torch/index.js';
import { readImage } from '../../src/data/image-source.js';
import { Predictor } from '../../src/pipeline/predictor.js';
import { fixture } from '../fixture-path.js';
import { borrowed, maxAbsDiff, memoryBundle, type ModelSpec } from './onnx-support.js';

const FILM = fixture('siim-sample', '1.2.276.0.7230010.3.1.4.8323329.4904.1517875185.355709.dcm');
const S64 = { width: 64, height: 64 };

const PAIRS: { classifier: ModelSpec; segmenter: ModelSpec }[] = [
  {
    classifier: { name: 'classifier-resnet18-w16', size: S64 },
    segmenter: { name: 'unet-resnet18-w16', options: { attention: 'scse', auxHead: true }, size: S64 },
  },
  {
    classifier: { name: 'classifier-resnet18-w16', options: { pooling: 'avgmax' }, size: S64 },
    // 72x80 is padded to 96x96 (reflect) and the mask cropped back.
    segmenter: {
      name: 'unet-resnet18-w16',
      options: { upsampling: 'transposed', batchNorm: false, peakLogit: true },
      size: { width: 80, height: 72 },
    },
  },
  // One model of each remaining family per pair keeps the file fast; the converters are shared.
  {
    classifier: { name: 'classifier-densenet121', size: S64 },
    segmenter: { name: 'unet-efficientnet-b0', options: { attention: 'scse' }, size: S64 },
  },
  {
    classifier: { name: 'classifier-vgg16_bn', size: S64 },
    segmenter: { name: 'unet-vgg16', size: S64 },
  },
];

const film = await readImage(FILM);

for (const { classifier, segmenter } of PAIRS) {
  const label = `${classifier.name} ${JSON.stringify(classifier.options ?? {})} + ${segmenter.name} ${JSON.stringify(segmenter.options ?? {})}`;
  test(`--runtime onnx gives libtorch's outputs: ${label}`, (t) => {
    const bundle = memoryBundle(classifier, segmenter);
    const onnx = new Predictor(borrowed(bundle), { threads: 2, runtime: 'onnx' });
    const libtorch = new Predictor(bundle, { threads: 2 });
    try {
      assert.equal(onnx.engine.runtime, 'onnx');
      // Two films in one batch: the exported graph has a dynamic batch.
      const p = libtorch.classify([film, film]);
      const q = onnx.classify([film, film]);
      assert.equal(q.length, 2);
      assert.ok(maxAbsDiff(p, q) < 1e-4, `classifier ${p} vs ${q}`);
      const live = torch.liveTensors();
      const a = libtorch.segmentProbabilities([film]);
      const b = onnx.segmentProbabilities([film]);
      assert.equal(torch.liveTensors(), live, 'no tensor outlives a batch');
      assert.deepEqual([b.width, b.height], [segmenter.size.width, segmenter.size.height]);
      const diff = maxAbsDiff(a.maps[0], b.maps[0]);
      assert.ok(diff < 1e-4, `segmenter maps differ by ${diff}`);
      // The same post-processing of nearly the same maps: masks differ at most where a pixel sits on the threshold.
      const [x] = libtorch.predict([film]);
      const [y] = onnx.predict([film]);
      let differing = 0;
      for (let i = 0; i < x.mask.data.length; i++) if (x.mask.data[i] !== y.mask.data[i]) differing++;
      t.diagnostic(`classifier max diff ${maxAbsDiff(p, q)}, map max diff ${diff}, ${differing} mask pixels differ`);
      assert.ok(differing <= x.mask.data.length * 1e-4, `${differing} mask pixels differ`);
      assert.ok(Math.abs(x.probability - y.probability) < 1e-4);
    } finally {
      libtorch.dispose();
      onnx.dispose();
    }
  });
}

test('--runtime onnx refuses what ONNX Runtime here does not run (bf16)', () => {
  const bundle = memoryBundle(PAIRS[0].classifier, PAIRS[0].segmenter);
  try {
    assert.throws(
      () => new Predictor(bundle, { runtime: 'onnx', precision: 'bf16' }),
      /the onnx runtime runs fp32 on the CPU \(asked: bf16 on cpu\)/,
    );
  } finally {
    bundle.dispose();
  }
});
