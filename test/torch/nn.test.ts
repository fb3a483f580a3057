import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as torch from '../../src/torch/index.js';
import { nn } from '../../src/torch/index.js';
import { assertClose } from './helpers.js';

class TinyNet extends nn.Layer {
  readonly features = this.registerModule(
    'features',
    new nn.Sequential(new nn.Conv2d(1, 4, 3, { padding: 1, bias: false }), new nn.BatchNorm2d(4), new nn.ReLU()),
  );
  readonly fc = this.registerModule('fc', new nn.Linear(4, 2));
  forward(x: torch.Tensor): torch.Tensor {
    return this.fc.forward(torch.adaptiveAvgPool2d(this.features.forward(x), 1).flatten(1));
  }
}

test('state dict keys and order follow PyTorch', () => {
  const net = new TinyNet();
  assert.deepEqual(
    [...net.stateDict().keys()],
    [
      'features.0.weight',
      'features.1.weight',
      'features.1.bias',
      'features.1.running_mean',
      'features.1.running_var',
      'features.1.num_batches_tracked',
      'fc.weight',
      'fc.bias',
    ],
  );
  assert.equal(net.stateDict().get('features.1.num_batches_tracked')!.dtype, 'int64');
  assert.equal(net.parameterCount(), 4 * 9 + 4 + 4 + 4 * 2 + 2);
  net.dispose();
});

test('default initialisation has the bounds PyTorch uses', () => {
  torch.manualSeed(1);
  const conv = new nn.Conv2d(16, 32, 3);
  const bound = 1 / Math.sqrt(16 * 9);
  const w = conv.param('weight').toFloat32Array();
  const max = w.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
  assert.ok(max <= bound && max > 0.9 * bound, `max |w| ${max} vs bound ${bound}`);
  const variance = w.reduce((s, v) => s + v * v, 0) / w.length;
  assertClose([variance], [(bound * bound) / 3], 0.1);
  const bn = new nn.BatchNorm2d(3);
  assert.deepEqual(bn.param('weight').toArray(), [1, 1, 1]);
  assert.deepEqual(bn.buffer('running_var').toArray(), [1, 1, 1]);
  conv.dispose();
  bn.dispose();
});

test('loadStateDict copies by name and lists every problem when strict', () => {
  const a = new TinyNet();
  const b = new TinyNet();
  b.loadStateDict(a.stateDict());
  for (const [k, v] of a.stateDict()) assert.deepEqual(b.stateDict().get(k)!.toArray(), v.toArray(), k);
  const partial = new Map(a.stateDict());
  partial.delete('fc.bias');
  partial.set('extra.weight', torch.zeros([1]));
  partial.set('fc.weight', torch.zeros([3, 4]));
  assert.throws(
    () => b.loadStateDict(partial),
    (err: Error) =>
      err instanceof nn.StateDictError &&
      /missing keys \(1\): fc\.bias/.test(err.message) &&
      /unexpected keys \(1\): extra\.weight/.test(err.message) &&
      /fc\.weight \(model \[2, 4\], file \[3, 4\]\)/.test(err.message),
  );
  partial.set('fc.weight', a.stateDict().get('fc.weight')!);
  const result = b.loadStateDict(partial, { strict: false });
  assert.deepEqual(result, { missing: ['fc.bias'], unexpected: ['extra.weight'] });
  a.dispose();
  b.dispose();
});

test('batch norm tracks batches in training and uses running stats in eval', () =>
  torch.scope(() => {
    const bn = new nn.BatchNorm2d(1);
    const x = torch.tensor([1, 3, 5, 7], [4, 1, 1, 1]);
    bn.forward(x);
    bn.forward(x);
    assert.equal(bn.buffer('num_batches_tracked').item(), 2);
    bn.eval();
    const y = bn.forward(x);
    const mean = bn.buffer('running_mean').item();
    const variance = bn.buffer('running_var').item();
    assertClose(
      y.toFloat32Array(),
      [1, 3, 5, 7].map((v) => (v - mean) / Math.sqrt(variance + 1e-5)),
    );
    bn.dispose();
  }));

test('a small MLP learns XOR with plain gradient descent', () => {
  torch.manualSeed(3);
  const mlp = new nn.Sequential(new nn.Linear(2, 16), new nn.Tanh(), new nn.Linear(16, 1));
  const x = torch.tensor([0, 0, 0, 1, 1, 0, 1, 1], [4, 2]).keep();
  const y = torch.tensor([0, 1, 1, 0], [4, 1]).keep();
  let first = 0;
  let last = 0;
  for (let step = 0; step < 600; step++) {
    last = torch.scope(() => {
      const loss = torch.binaryCrossEntropyWithLogits(mlp.forward(x), y);
      loss.backward();
      torch.noGrad(() => {
        for (const p of mlp.parameters()) torch.sub_(p, p.grad!, 0.5);
      });
      mlp.zeroGrad();
      return loss.item();
    });
    if (step === 0) first = last;
  }
  assert.ok(last < 0.05 && last < first / 10, `loss ${first} -> ${last}`);
  const predictions = torch.scope(() => torch.noGrad(() => torch.gt(mlp.forward(x), 0).toArray()));
  assert.deepEqual(predictions, [[0], [1], [1], [0]]);
  mlp.dispose();
  x.dispose();
  y.dispose();
});

test('a small conv net learns to tell vertical from horizontal stripes', () => {
  torch.manualSeed(5);
  const net = new TinyNet();
  const make = (n: number, offset: number) => {
    const data = new Float32Array(n * 64);
    const labels = new Float32Array(n * 2);
    for (let i = 0; i < n; i++) {
      const vertical = (i + offset) % 2 === 0;
      const phase = (i * 7 + offset) % 2;
      for (let r = 0; r < 8; r++)
        for (let c = 0; c < 8; c++) data[i * 64 + r * 8 + c] = ((vertical ? c : r) + phase) % 2;
      labels[i * 2 + (vertical ? 1 : 0)] = 1;
    }
    return { x: torch.tensor(data, [n, 1, 8, 8]).keep(), y: torch.tensor(labels, [n, 2]).keep() };
  };
  const train = make(16, 0);
  let loss = 0;
  for (let step = 0; step < 150; step++) {
    loss = torch.scope(() => {
      const l = torch.binaryCrossEntropyWithLogits(net.forward(train.x), train.y);
      l.backward();
      torch.noGrad(() => {
        for (const p of net.parameters()) torch.sub_(p, p.grad!, 0.2);
      });
      net.zeroGrad();
      return l.item();
    });
  }
  assert.ok(loss < 0.2, `final loss ${loss}`);
  net.eval();
  const test = make(8, 1);
  const correct = torch.scope(() =>
    torch.noGrad(() =>
      torch
        .eq(torch.argmax(net.forward(test.x), 1), torch.argmax(test.y, 1))
        .to('float32')
        .sum()
        .item(),
    ),
  );
  assert.equal(correct, 8);
  for (const t of [train.x, train.y, test.x, test.y]) t.dispose();
  net.dispose();
});
