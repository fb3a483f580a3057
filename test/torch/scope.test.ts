import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as torch from '../../src/torch/index.js';

test('scope releases what it made and keeps what it returns', () => {
  const before = torch.liveTensors();
  const kept = torch.scope(() => {
    const a = torch.ones([3]);
    const b = a.mul(2);
    torch.add(a, b);
    return { result: b, also: [a.add(1)] };
  });
  assert.equal(torch.liveTensors(), before + 2);
  assert.deepEqual(kept.result.toArray(), [2, 2, 2]);
  kept.result.dispose();
  kept.also[0].dispose();
  assert.equal(torch.liveTensors(), before);
});

test('nested scopes hand returned tensors to the parent, and a throw still releases', () => {
  const before = torch.liveTensors();
  torch.scope(() => {
    const inner = torch.scope(() => torch.ones([2]).mul(5));
    assert.equal(inner.isDisposed, false);
    assert.throws(() =>
      torch.scope(() => {
        torch.ones([4]);
        throw new Error('boom');
      }),
    );
  });
  assert.equal(torch.liveTensors(), before);
});

test('keep() lets a tensor outlive its scope', () => {
  const before = torch.liveTensors();
  const p = torch.scope(() => {
    const kept = torch.zeros([2]).keep();
    assert.equal(kept.isDisposed, false);
    torch.ones([2]);
    return null;
  });
  assert.equal(p, null);
  assert.equal(torch.liveTensors(), before + 1);
});

test('20,000 scoped training-like iterations keep native memory and resident size flat', () => {
  const w = torch.randn([64, 64]).requiresGrad_().keep();
  const x = torch.randn([32, 64]).keep();
  const step = () =>
    torch.scope(() => {
      const y = torch.relu(torch.matmul(x, w));
      const loss = y.pow(2).mean();
      loss.backward();
      torch.noGrad(() => torch.sub_(w, w.grad!, 1e-6));
      w.zeroGrad();
      return loss.item();
    });
  for (let i = 0; i < 500; i++) step();
  global.gc?.();
  const live = torch.liveTensors();
  const rssBefore = process.memoryUsage().rss;
  for (let i = 0; i < 20_000; i++) step();
  global.gc?.();
  const grownMiB = (process.memoryUsage().rss - rssBefore) / 2 ** 20;
  assert.equal(torch.liveTensors(), live, 'no native tensor outlives its scope');
  assert.ok(grownMiB < 40, `resident memory grew by ${grownMiB.toFixed(1)} MiB over 20,000 iterations`);
  w.dispose();
  x.dispose();
});
