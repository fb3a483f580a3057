import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as torch from '../../src/torch/index.js';
import { assertClose } from './helpers.js';

const t = (values: number[], shape?: number[]) => torch.tensor(values, shape);

test('arithmetic broadcasts like PyTorch', () =>
  torch.scope(() => {
    const a = t([1, 2, 3, 4, 5, 6], [2, 3]);
    const b = t([10, 20, 30], [3]);
    assert.deepEqual(torch.add(a, b).toArray(), [
      [11, 22, 33],
      [14, 25, 36],
    ]);
    assert.deepEqual(torch.sub(a, b, 2).toArray(), [
      [-19, -38, -57],
      [-16, -35, -54],
    ]);
    assert.deepEqual(torch.mul(a, t([2], [1])).toArray(), [
      [2, 4, 6],
      [8, 10, 12],
    ]);
    assert.deepEqual(torch.div(a, 2).toArray(), [
      [0.5, 1, 1.5],
      [2, 2.5, 3],
    ]);
    assert.deepEqual(torch.rsub(a, 1).toArray(), [
      [0, -1, -2],
      [-3, -4, -5],
    ]);
    assert.deepEqual(torch.pow(a, 2).toArray(), [
      [1, 4, 9],
      [16, 25, 36],
    ]);
    assert.deepEqual(torch.matmul(a, t([1, 0, 0, 1, 1, 1], [3, 2])).toArray(), [
      [4, 5],
      [10, 11],
    ]);
  }));

test('comparisons, where and clamp', () =>
  torch.scope(() => {
    const a = t([-2, -1, 0, 1, 2]);
    assert.deepEqual(torch.gt(a, 0).toArray(), [0, 0, 0, 1, 1]);
    assert.deepEqual(torch.le(a, t([0, 0, 0, 0, 0])).toArray(), [1, 1, 1, 0, 0]);
    assert.equal(torch.gt(a, 0).dtype, 'bool');
    assert.deepEqual(torch.where(torch.lt(a, 0), torch.neg(a), a).toArray(), [2, 1, 0, 1, 2]);
    assert.deepEqual(torch.clamp(a, -1, 1).toArray(), [-1, -1, 0, 1, 1]);
    assert.deepEqual(torch.clamp(a, 0).toArray(), [0, 0, 0, 1, 2]);
  }));

test('unary functions have their known values', () =>
  torch.scope(() => {
    const a = t([0, 1, 4]);
    assertClose(torch.exp(a).toFloat32Array(), [1, Math.E, Math.exp(4)]);
    assertClose(torch.sqrt(a).toFloat32Array(), [0, 1, 2]);
    assertClose(torch.log(t([1, Math.E])).toFloat32Array(), [0, 1]);
    assertClose(torch.sigmoid(t([0])).toFloat32Array(), [0.5]);
    assertClose(torch.tanh(t([0, 1])).toFloat32Array(), [0, Math.tanh(1)]);
    assertClose(torch.silu(t([1])).toFloat32Array(), [1 / (1 + Math.exp(-1))]);
    assertClose(torch.leakyRelu(t([-2, 3]), 0.1).toFloat32Array(), [-0.2, 3]);
    assertClose(torch.softmax(t([0, Math.log(3)]), 0).toFloat32Array(), [0.25, 0.75]);
    assertClose(torch.logSoftmax(t([0, 0]), 0).toFloat32Array(), [-Math.LN2, -Math.LN2]);
  }));

test('reductions with dims and keepdim', () =>
  torch.scope(() => {
    const a = t([1, 5, 3, 4, 2, 6], [2, 3]);
    assert.equal(torch.sum(a).item(), 21);
    assert.deepEqual(torch.sum(a, 0).toArray(), [5, 7, 9]);
    assert.deepEqual(torch.sum(a, 1, true).shape, [2, 1]);
    assert.deepEqual(torch.mean(a, [0, 1]).item(), 3.5);
    const m = torch.max(a, 1);
    assert.deepEqual(m.values.toArray(), [5, 6]);
    assert.deepEqual(m.indices.toArray(), [1, 2]);
    assert.equal(torch.max(a).item(), 6);
    assert.equal(torch.min(a).item(), 1);
    assert.equal(torch.argmax(a).item(), 5);
    assert.deepEqual(torch.argmax(a, 0).toArray(), [1, 0, 1]);
    assertClose([torch.norm(t([3, 4])).item()], [5]);
    assert.deepEqual(torch.cumsum(t([1, 2, 3]), 0).toArray(), [1, 3, 6]);
    assert.deepEqual(torch.sort(t([3, 1, 2]), 0, true).values.toArray(), [3, 2, 1]);
  }));

test('shape operations', () =>
  torch.scope(() => {
    const a = torch.arange(0, 6).reshape([2, 3]);
    assert.deepEqual(a.toArray(), [
      [0, 1, 2],
      [3, 4, 5],
    ]);
    assert.deepEqual(torch.transpose(a, 0, 1).toArray(), [
      [0, 3],
      [1, 4],
      [2, 5],
    ]);
    assert.deepEqual(torch.permute(a.unsqueeze(0), [2, 0, 1]).shape, [3, 1, 2]);
    assert.deepEqual(a.flatten().shape, [6]);
    assert.deepEqual(a.unsqueeze(1).squeeze(1).shape, [2, 3]);
    assert.deepEqual(torch.cat([a, a], 1).shape, [2, 6]);
    assert.deepEqual(torch.stack([a, a], 0).shape, [2, 2, 3]);
    assert.deepEqual(torch.slice(a, 1, 1, 3).toArray(), [
      [1, 2],
      [4, 5],
    ]);
    assert.deepEqual(torch.slice(a, 1, -1).toArray(), [[2], [5]]);
    assert.deepEqual(torch.indexSelect(a, 1, torch.tensor(new BigInt64Array([2n, 0n]))).toArray(), [
      [2, 0],
      [5, 3],
    ]);
    assert.deepEqual(torch.flip(a, [1]).toArray(), [
      [2, 1, 0],
      [5, 4, 3],
    ]);
    assert.deepEqual(torch.pad(t([1, 2], [1, 2]), [1, 2], 'constant', 9).toArray(), [[9, 1, 2, 9, 9]]);
    const img = torch.arange(0, 9).reshape([1, 1, 3, 3]);
    assert.deepEqual(torch.pad(img, [1, 1, 1, 1], 'reflect').toArray(), [
      [
        [
          [4, 3, 4, 5, 4],
          [1, 0, 1, 2, 1],
          [4, 3, 4, 5, 4],
          [7, 6, 7, 8, 7],
          [4, 3, 4, 5, 4],
        ],
      ],
    ]);
    assert.deepEqual(torch.chunk(a, 3, 1).length, 3);
  }));

test('creation, dtypes and typed array round trips', () =>
  torch.scope(() => {
    assert.deepEqual(torch.zeros([2, 2]).toArray(), [
      [0, 0],
      [0, 0],
    ]);
    assert.deepEqual(torch.ones([2], { dtype: 'int64' }).data(), new BigInt64Array([1n, 1n]));
    assert.deepEqual(torch.full([3], 2.5).toArray(), [2.5, 2.5, 2.5]);
    assert.deepEqual(torch.arange(1, 7, 2).toArray(), [1, 3, 5]);
    assert.deepEqual(torch.eye(2).toArray(), [
      [1, 0],
      [0, 1],
    ]);
    const f = new Float32Array([1.5, -2, 3.25]);
    assert.deepEqual(torch.tensor(f).toFloat32Array(), f);
    const i32 = new Int32Array([1, -7, 9]);
    const ti = torch.tensor(i32);
    assert.equal(ti.dtype, 'int32');
    assert.deepEqual(ti.data(), i32);
    assert.equal(torch.add(ti, 1).dtype, 'int32', 'an integral scalar keeps int tensors int, as in Python');
    assert.equal(torch.add(ti, 0.5).dtype, 'float32');
    const u8 = torch.tensor(new Uint8Array([0, 255]));
    assert.equal(u8.dtype, 'uint8');
    const half = torch.tensor(new Float32Array([1, 0.5, -2])).to('float16');
    assert.equal(half.dtype, 'float16');
    // IEEE half bit patterns of 1, 0.5 and -2.
    assert.deepEqual(Array.from(half.data() as Uint16Array), [0x3c00, 0x3800, 0xc000]);
    const back = torch.tensor(new Uint16Array([0x3c00, 0x3800, 0xc000]), [3], 'float16');
    assert.deepEqual(back.toFloat32Array(), new Float32Array([1, 0.5, -2]));
    const bf = torch.tensor(new Float32Array([1, -2])).to('bfloat16');
    assert.deepEqual(Array.from(bf.data() as Uint16Array), [0x3f80, 0xc000]);
    assert.throws(() => torch.tensor(new Float32Array(5), [2, 2]), /do not fill shape/);
  }));

test('seeded random tensors repeat, and have the right moments', () =>
  torch.scope(() => {
    torch.manualSeed(42);
    const a = torch.randn([10000]);
    torch.manualSeed(42);
    const b = torch.randn([10000]);
    assert.deepEqual(a.toFloat32Array(), b.toFloat32Array());
    assert.ok(Math.abs(a.mean().item()) < 0.05);
    assert.ok(Math.abs(torch.variance(a).item() - 1) < 0.05);
    const u = torch.rand([10000]);
    assert.ok(torch.min(u).item() >= 0 && torch.max(u).item() < 1);
    assert.ok(Math.abs(u.mean().item() - 0.5) < 0.02);
  }));

test('conv2d, pooling and interpolation match hand-computed values', () =>
  torch.scope(() => {
    const img = torch.arange(0, 16).reshape([1, 1, 4, 4]);
    const ones3 = torch.ones([1, 1, 3, 3]);
    // 3x3 box sums of a 4x4 ramp: top-left window 0+1+2+4+5+6+8+9+10 = 45.
    assert.deepEqual(torch.conv2d(img, ones3).toArray(), [
      [
        [
          [45, 54],
          [81, 90],
        ],
      ],
    ]);
    assert.deepEqual(torch.conv2d(img, ones3, torch.tensor([1]), { stride: 2, padding: 1 }).shape, [1, 1, 2, 2]);
    assert.deepEqual(torch.maxPool2d(img, 2).toArray(), [
      [
        [
          [5, 7],
          [13, 15],
        ],
      ],
    ]);
    assert.deepEqual(torch.avgPool2d(img, 2).toArray(), [
      [
        [
          [2.5, 4.5],
          [10.5, 12.5],
        ],
      ],
    ]);
    assert.deepEqual(torch.adaptiveAvgPool2d(img, 1).toArray(), [[[[7.5]]]]);
    const small = torch.tensor([1, 2, 3, 4], [1, 1, 2, 2]);
    assert.deepEqual(torch.interpolate(small, { scaleFactor: 2 }).toArray(), [
      [
        [
          [1, 1, 2, 2],
          [1, 1, 2, 2],
          [3, 3, 4, 4],
          [3, 3, 4, 4],
        ],
      ],
    ]);
    assert.deepEqual(torch.interpolate(small, { size: [3, 3], mode: 'bilinear', alignCorners: true }).toArray(), [
      [
        [
          [1, 1.5, 2],
          [2, 2.5, 3],
          [3, 3.5, 4],
        ],
      ],
    ]);
    // A transposed conv with a 2x2 kernel of ones and stride 2 spreads each pixel into a 2x2 block.
    assert.deepEqual(torch.convTranspose2d(small, torch.ones([1, 1, 2, 2]), null, { stride: 2 }).toArray(), [
      [
        [
          [1, 1, 2, 2],
          [1, 1, 2, 2],
          [3, 3, 4, 4],
          [3, 3, 4, 4],
        ],
      ],
    ]);
  }));

test('batch norm and group norm normalise', () =>
  torch.scope(() => {
    const x = torch.tensor([1, 3, 5, 7], [4, 1, 1, 1]);
    const mean = torch.zeros([1]);
    const variance = torch.ones([1]);
    const y = torch.batchNorm(x, mean, variance, null, null, true, 0.1, 0);
    // Batch mean 4, biased variance 5: (x - 4) / sqrt(5).
    assertClose(
      y.toFloat32Array(),
      [-3, -1, 1, 3].map((v) => v / Math.sqrt(5)),
    );
    // Running stats use the unbiased variance 20/3, with momentum 0.1.
    assertClose(mean.toFloat32Array(), [0.4]);
    assertClose(variance.toFloat32Array(), [0.9 + 0.1 * (20 / 3)]);
    const g = torch.groupNorm(torch.tensor([1, 3, 5, 7], [1, 4, 1, 1]), 2, null, null, 0);
    assertClose(g.toFloat32Array(), [-1, 1, -1, 1]);
  }));

test('binary cross-entropy with logits and pos_weight', () =>
  torch.scope(() => {
    const logits = torch.tensor([0, 2]);
    const target = torch.tensor([0, 1]);
    const plain = torch.binaryCrossEntropyWithLogits(logits, target).item();
    assertClose([plain], [(Math.LN2 + Math.log(1 + Math.exp(-2))) / 2]);
    const weighted = torch
      .binaryCrossEntropyWithLogits(logits, target, { posWeight: torch.tensor([2]), reduction: 'sum' })
      .item();
    assertClose([weighted], [Math.LN2 + 2 * Math.log(1 + Math.exp(-2))]);
  }));

test('dropout keeps the expectation in training and is the identity in eval', () =>
  torch.scope(() => {
    torch.manualSeed(0);
    const x = torch.ones([20000]);
    const y = torch.dropout(x, 0.5, true);
    assert.ok(Math.abs(y.mean().item() - 1) < 0.05);
    const zeros = torch.eq(y, 0).to('float32').mean().item();
    assert.ok(Math.abs(zeros - 0.5) < 0.02);
    assert.deepEqual(torch.dropout(x, 0.5, false).toFloat32Array(), x.toFloat32Array());
  }));

test('libtorch errors become JS errors carrying its message', () =>
  torch.scope(() => {
    const a = torch.ones([2, 3]);
    assert.throws(() => torch.matmul(a, torch.ones([2, 3])), /cannot be multiplied \(2x3 and 2x3\)/);
    assert.throws(
      () => torch.conv2d(torch.ones([1, 2, 4, 4]), torch.ones([1, 3, 3, 3])),
      /expected input.*to have 3 channels/,
    );
    assert.throws(() => torch.reshape(a, [4]), /shape '\[4\]' is invalid/);
    assert.throws(() => torch.cat([a, torch.ones([3, 3])], 1), /Sizes of tensors must match/);
    const gone = torch.ones([1]);
    gone.dispose();
    assert.throws(() => gone.item(), /used after dispose/);
  }));

test('relu_ works in place and back-propagates as relu does', () =>
  torch.scope(() => {
    const x = t([-2, -0.5, 0.5, 3]).requiresGrad_();
    // In place on a non-leaf, as torchvision's ReLU(inplace=True) after a BatchNorm.
    const y = x.mul(2);
    assert.equal(torch.relu_(y), y);
    assert.deepEqual(y.toArray(), [0, 0, 1, 6]);
    y.mul(t([1, 2, 3, 4]))
      .sum()
      .backward();
    assert.deepEqual(x.grad!.toArray(), [0, 0, 6, 8]);
  }));
