// U-Net specifics: any input size (padding to 32 and cropping back, reflect or zero), the aux head,
// scSE against a hand computation, the decoder's MACs against a hand count, no leaked tensors.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as torch from '../../src/torch/index.js';
import { nn } from '../../src/torch/index.js';
import { createSegmenter, modelFlops } from '../../src/models/registry.js';
import { paddingTo } from '../../src/models/unet.js';
import { Scse } from '../../src/models/scse.js';
import { assertClose } from '../torch/helpers.js';

test('masks come back at the input size for sides not divisible by 32, with or without the aux head', () => {
  const live = torch.liveTensors();
  const plain = createSegmenter('unet-resnet18-w16').eval();
  const withLabel = createSegmenter('unet-resnet18-w16', { auxHead: true, padMode: 'zero' }).eval();
  try {
    torch.noGrad(() =>
      torch.scope(() => {
        for (const [h, w] of [
          [50, 70],
          [10, 45],
          [64, 96],
          [33, 1],
        ]) {
          const x = torch.randn([3, 1, h, w]);
          const out = plain.forward(x);
          assert.deepEqual(out.mask.shape, [3, 1, h, w], `${h}x${w}`);
          assert.equal(out.label, undefined);
          const both = withLabel.forward(x);
          assert.deepEqual(both.mask.shape, [3, 1, h, w]);
          assert.deepEqual(both.label!.shape, [3]);
        }
      }),
    );
  } finally {
    plain.dispose();
    withLabel.dispose();
  }
  assert.equal(torch.liveTensors(), live);
});

test('the padding is symmetric and the crop takes back exactly the padded region', () => {
  assert.equal(paddingTo(64, 96, 32), null);
  assert.deepEqual(paddingTo(50, 70, 32), { top: 7, bottom: 7, left: 13, right: 13 });
  assert.deepEqual(paddingTo(33, 1, 32), { top: 15, bottom: 16, left: 15, right: 16 });
  const model = createSegmenter('unet-resnet18-w16', { padMode: 'zero' }).eval();
  try {
    torch.noGrad(() =>
      torch.scope(() => {
        const x = torch.randn([1, 1, 50, 70]);
        const direct = model.forward(x).mask;
        const padded = model.forward(torch.pad(x, [13, 13, 7, 7])).mask;
        const cropped = torch.slice(torch.slice(padded, 2, 7, 57), 3, 13, 83).contiguous();
        assertClose(direct.contiguous().toFloat32Array(), cropped.toFloat32Array(), 1e-5, 'crop of the padded run');
      }),
    );
  } finally {
    model.dispose();
  }
});

test('reflect padding mirrors the image: a 50x70 input gives the crop of the model on its reflection', () => {
  const model = createSegmenter('unet-resnet18-w16').eval();
  try {
    torch.noGrad(() =>
      torch.scope(() => {
        const x = torch.randn([1, 1, 50, 70]);
        const reflected = torch.pad(x, [13, 13, 7, 7], 'reflect');
        // Row 0 of the padded image is row 7 of the original (a mirror that does not repeat the edge).
        const firstRow = torch.slice(torch.slice(reflected, 2, 0, 1), 3, 13, 83).contiguous();
        assert.deepEqual(firstRow.toFloat32Array(), torch.slice(x, 2, 7, 8).contiguous().toFloat32Array());
        const direct = model.forward(x).mask;
        const cropped = torch.slice(torch.slice(model.forward(reflected).mask, 2, 7, 57), 3, 13, 83).contiguous();
        assertClose(direct.contiguous().toFloat32Array(), cropped.toFloat32Array(), 1e-5, 'reflect');
      }),
    );
  } finally {
    model.dispose();
  }
});

test('scSE computes x * cSE(x) + x * sSE(x) (checked by hand on 16 channels of 2x1)', () => {
  torch.scope(() => {
    const scse = new Scse(16);
    torch.noGrad(() => {
      for (const [, p] of scse.namedParameters()) nn.init.constant_(p, 0.1);
    });
    const values = Array.from({ length: 32 }, (_, i) => (i % 5) - 2 + i / 32);
    const out = scse.forward(torch.tensor(values, [1, 16, 2, 1])).toFloat32Array();
    const sigmoid = (v: number) => 1 / (1 + Math.exp(-v));
    // channel squeeze: mean over pixels, 16 -> 1 (w 0.1, b 0.1), relu, 1 -> 16 (w 0.1, b 0.1), sigmoid
    const means = Array.from({ length: 16 }, (_, c) => (values[2 * c] + values[2 * c + 1]) / 2);
    const hidden = Math.max(0, 0.1 * means.reduce((a, b) => a + b, 0) + 0.1);
    const channelGate = sigmoid(0.1 * hidden + 0.1);
    // spatial squeeze: per pixel 16 -> 1 (w 0.1, b 0.1), sigmoid
    const pixelGate = [0, 1].map((p) =>
      sigmoid(0.1 * Array.from({ length: 16 }, (_, c) => values[2 * c + p]).reduce((a, b) => a + b, 0) + 0.1),
    );
    const expected = values.map((v, i) => v * channelGate + v * pixelGate[i % 2]);
    assertClose(out, expected, 1e-5, 'scSE');
  });
});

test('MACs: the decoder and head of unet-resnet18-w16 at 64x64 counted by hand, on top of the encoder', () => {
  const model = createSegmenter('unet-resnet18-w16');
  const withTransposed = createSegmenter('unet-resnet18-w16', { upsampling: 'transposed' });
  try {
    const encoderMacs = model.encoder.macs([1, 64, 64]).macs;
    // blocks: (in, skip, out, output side); conv1 3x3 over in+skip, conv2 3x3 over out
    const blocks = [
      [128, 64, 64, 4],
      [64, 32, 32, 8],
      [32, 16, 16, 16],
      [16, 16, 16, 32],
      [16, 0, 8, 64],
    ];
    const decoder = blocks.reduce(
      (sum, [inC, skip, out, side]) => sum + side * side * 9 * ((inC + skip) * out + out * out),
      0,
    );
    const head = 64 * 64 * 9 * 8;
    assert.equal(modelFlops(model, 64), 2 * (encoderMacs + decoder + head));
    // A 2x2 stride-2 transposed conv (in -> in) per block, counted on its input pixels.
    const upsampling = blocks.reduce((sum, [inC, , , side]) => sum + (side / 2) ** 2 * inC * inC * 4, 0);
    assert.equal(modelFlops(withTransposed, 64), 2 * (encoderMacs + decoder + head + upsampling));
    // A side that is not a multiple of 32 is counted at its padded size.
    assert.equal(modelFlops(model, 50, 64), modelFlops(model, 64));
  } finally {
    model.dispose();
    withTransposed.dispose();
  }
});

test('with peakLogit the image logit is the mean of the largest mask logits, and it trains through them', () => {
  torch.manualSeed(4);
  const model = createSegmenter('unet-resnet18-w16', { peakLogit: true });
  torch.scope(() => {
    const x = torch.randn([2, 1, 128, 128]);
    const out = model.forward(x);
    assert.ok(out.label, 'an image logit');
    assert.deepEqual(out.label.shape, [2]);
    // 128 x 128 / 4096 = 4 pixels per image.
    const mask = out.mask.reshape([2, -1]).toFloat32Array();
    const label = out.label.toFloat32Array();
    for (let i = 0; i < 2; i++) {
      const top = Array.from(mask.subarray(i * 128 * 128, (i + 1) * 128 * 128))
        .sort((a, b) => b - a)
        .slice(0, 4);
      assertClose([label[i]], [top.reduce((a, b) => a + b, 0) / 4], 1e-5, `image ${i}`);
    }
    out.label.sum().backward();
    const head = model.segmentationHead.parameters()[0];
    assert.ok(head.grad && head.grad.abs().sum().item() > 0, 'the image logit reaches the mask head');
  });
  model.dispose();
  assert.throws(() => createSegmenter('unet-resnet18-w16', { peakLogit: true, auxHead: true }), /peakLogit/);
});
