// Autocast and inference mode as PyTorch has them: convolutions run in bf16 inside a region while
// batch norm keeps fp32 statistics; regions nest and restore the state they found; gradients of fp32
// weights are fp32; inference mode records no history; bad calls are refused with a reason.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as torch from '../../src/torch/index.js';
import { nn } from '../../src/torch/index.js';

test('inside autocast a convolution gives bf16, batch norm keeps fp32 statistics, and the state is restored', () => {
  torch.manualSeed(0);
  const conv = new nn.Conv2d(3, 4, 3, { padding: 1 });
  const bn = new nn.BatchNorm2d(4);
  torch.scope(() => {
    const x = torch.randn([2, 3, 8, 8]);
    const { c } = torch.autocast('bfloat16', () => {
      assert.deepEqual(torch.autocastState(), { enabled: true, dtype: 'bfloat16' });
      const c = conv.forward(x);
      return { c, b: bn.forward(c) };
    });
    assert.equal(c.dtype, 'bfloat16');
    assert.equal(bn.buffer('running_mean').dtype, 'float32');
    assert.equal(bn.buffer('running_var').dtype, 'float32');
    // Batch norm's statistics are taken in fp32 from the bf16 input: they match fp32 statistics of it.
    const expected = torch.mean(c.float(), [0, 2, 3]).mul(0.1).toFloat32Array();
    const got = bn.buffer('running_mean').toFloat32Array();
    got.forEach((v, i) => assert.ok(Math.abs(v - expected[i]) < 1e-4, `running mean ${i}: ${v} vs ${expected[i]}`));
    assert.equal(torch.autocastState().enabled, false);
    // Outside a region the same convolution is fp32 again, and the bf16 result is close to it.
    const full = conv.forward(x);
    assert.equal(full.dtype, 'float32');
    const diff = torch.max(torch.abs(torch.sub(full, c.float()))).item() as number;
    assert.ok(diff < 0.05, `bf16 vs fp32 convolution: ${diff}`);
    // Gradients of fp32 weights come back in fp32.
    torch.autocast('bfloat16', () => torch.sum(conv.forward(x).float())).backward();
    assert.equal(conv.param('weight').grad!.dtype, 'float32');
  });
  conv.dispose();
  bn.dispose();
});

test('regions nest, an inner region can switch autocast off, and each exit restores what it found', () => {
  torch.autocast('bfloat16', () => {
    torch.autocast('bfloat16', () => assert.equal(torch.autocastState().enabled, false), { enabled: false });
    assert.equal(torch.autocastState().enabled, true);
    assert.throws(
      () =>
        torch.autocast('bfloat16', () => {
          throw new Error('inner failure');
        }),
      /inner failure/,
    );
    assert.equal(torch.autocastState().enabled, true, 'restored after a throw');
  });
  assert.equal(torch.autocastState().enabled, false);
});

test('bf16 weight gradients of a convolution over a large plane are finite and near fp32', () => {
  // oneDNN's bf16 kernel gives inf/NaN or gradients off by half here (3x3, stride 1, 384 x 384 and
  // 232 x 232 on the machines measured); a layer whose plane fails the check runs in fp32. Right bf16
  // gradients come within 0.6% of fp32, wrong ones 50% or more.
  torch.manualSeed(0);
  const conv = new nn.Conv2d(8, 8, 3, { padding: 1 });
  const gradient = (lowPrecision: boolean, side: number): Float32Array =>
    torch.scope(() => {
      const x = torch.rand([2, 8, side, side]);
      const y = lowPrecision ? torch.autocast('bfloat16', () => conv.forward(x)) : conv.forward(x);
      conv.zeroGrad();
      y.float().mean().backward();
      return conv.param('weight').grad!.toFloat32Array();
    });
  for (const side of [232, 384]) {
    const full = gradient(false, side);
    const low = gradient(true, side);
    low.forEach((v, i) => {
      assert.ok(Number.isFinite(v), `${side} px: weight gradient ${i} is ${v}`);
      assert.ok(
        Math.abs(v - full[i]) <= 0.02 * Math.max(1e-6, Math.abs(full[i])),
        `${side} px: gradient ${i}: ${v} vs ${full[i]}`,
      );
    });
  }
  // Planes up to 225 x 225 and inference keep the bf16 kernel without a check.
  torch.scope(() => {
    const small = torch.autocast('bfloat16', () => conv.forward(torch.rand([1, 8, 64, 64])));
    assert.equal(small.dtype, 'bfloat16');
    const inference = torch.noGrad(() => torch.autocast('bfloat16', () => conv.forward(torch.rand([1, 8, 384, 384]))));
    assert.equal(inference.dtype, 'bfloat16');
  });
});

test('fp16 autocast and asynchronous functions are refused on the CPU', () => {
  assert.throws(() => torch.autocast('float16', () => 1), /CPU autocast supports bfloat16 only.*CUDA/);
  assert.throws(() => torch.autocast('bfloat16', async () => 1), /synchronous function/);
  assert.throws(() => torch.withPrecision('fp16', 'cpu', () => 1), /fp16 needs a CUDA device/);
  assert.equal(torch.autocastState().enabled, false);
});

test('inference mode records no history and ends with its function', () => {
  const w = torch.ones([3]).keep();
  w.requiresGrad = true;
  const y = torch.inferenceMode(() => {
    assert.equal(torch.isInferenceMode(), true);
    return torch.mul(w, 2).keep();
  });
  assert.equal(torch.isInferenceMode(), false);
  assert.equal(y.requiresGrad, false);
  assert.deepEqual(Array.from(y.toFloat32Array()), [2, 2, 2]);
  assert.throws(
    () =>
      torch.inferenceMode(() => {
        throw new Error('boom');
      }),
    /boom/,
  );
  assert.equal(torch.isInferenceMode(), false, 'released after a throw');
  y.dispose();
  w.dispose();
});

test('devices: cpu always resolves, auto falls back to the CPU without CUDA, bad names are refused', () => {
  assert.equal(torch.resolveDevice('cpu'), 'cpu');
  if (torch.cudaDeviceCount() === 0) {
    assert.equal(torch.resolveDevice('auto'), 'cpu');
    assert.throws(() => torch.resolveDevice('cuda'), /no usable CUDA/);
  } else {
    assert.equal(torch.resolveDevice('auto'), 'cuda:0');
    assert.throws(() => torch.resolveDevice(`cuda:${torch.cudaDeviceCount()}`), /CUDA device\(s\)/);
  }
  assert.throws(() => torch.parseDeviceRequest('gpu'), /expected auto, cpu, cuda or cuda:N/);
});
