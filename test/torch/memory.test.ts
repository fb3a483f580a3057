import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { CpuCacheInfo } from '../../src/torch/index.js';

// The block cache is off by default (native/allocator.cc); these tests turn it on for this process,
// whose addon reads the variable when it loads.
process.env.PNEUMO_CPU_CACHE_MB = '256';
const torch = await import('../../src/torch/index.js');

const MiB = 2 ** 20;

test('large blocks of changing sizes come from memory already mapped: a repeated step does not fault again', () => {
  // DenseNet's pattern: each block a little larger than the last, each freed before the next, all
  // above glibc's largest mmap threshold (32 MiB), with the cache off as by default.
  const index = fileURLToPath(new URL('../../src/torch/index.js', import.meta.url));
  const script = `const t = await import(${JSON.stringify(index)});
    const step = () => { for (const mib of [40, 48, 56]) t.scope(() => t.ones([mib << 18]).mul(2).sum().item()); };
    step();
    const before = process.resourceUsage().minorPageFault;
    for (let i = 0; i < 3; i++) step();
    console.log(JSON.stringify({ faults: process.resourceUsage().minorPageFault - before, cache: t.cpuCacheInfo() }));`;
  const out = execFileSync(process.execPath, ['--input-type=module', '-e', script], {
    encoding: 'utf8',
    env: { ...process.env, PNEUMO_CPU_CACHE_MB: '0' },
  });
  const { faults, cache } = JSON.parse(out) as { faults: number; cache: CpuCacheInfo };
  assert.equal(cache.limitBytes, 0);
  assert.equal(typeof faults, 'number');
  // Three steps touch 3 x 2 x 144 MiB: 221,184 pages of 4 KiB if each block were mapped afresh.
  assert.ok(faults < 5000, `${faults} page faults in three repeated steps`);
});

test('freed large blocks are reused for the next request of their size, and emptyCache releases them', () => {
  torch.emptyCache();
  const start = torch.cpuCacheInfo();
  assert.equal(start.cachedBytes, 0);
  torch.ones([MiB]).dispose(); // 4 MiB
  const afterFree = torch.cpuCacheInfo();
  assert.equal(afterFree.cachedBytes, 4 * MiB);
  assert.equal(afterFree.misses, start.misses + 1);
  // The same size, and one up to 1/8 smaller, come from the cache; the reused memory holds new values.
  const again = torch.zeros([MiB]);
  assert.equal(torch.cpuCacheInfo().hits, start.hits + 1);
  assert.equal(torch.cpuCacheInfo().cachedBytes, 0);
  assert.equal(torch.sum(again).item(), 0);
  again.dispose();
  const smaller = torch.full([MiB - MiB / 16], 2);
  assert.equal(torch.cpuCacheInfo().hits, start.hits + 2);
  assert.equal(torch.sum(smaller).item(), 2 * (MiB - MiB / 16));
  smaller.dispose();
  // Much smaller, and small tensors, do not take a cached block.
  torch.ones([MiB / 4]).dispose();
  torch.ones([16]).dispose();
  const end = torch.cpuCacheInfo();
  assert.equal(end.hits, start.hits + 2);
  assert.equal(end.misses, start.misses + 2);
  assert.equal(end.cachedBytes, 5 * MiB);
  torch.emptyCache();
  assert.equal(torch.cpuCacheInfo().cachedBytes, 0);
});

test('a repeated step settles: no new misses and a constant cache after the first', () => {
  torch.emptyCache();
  // Sizes that are not multiples of the 64 KiB granule (rounded up, and found again by their rounding).
  const step = () =>
    torch.scope(() => {
      for (const bytes of [140_000, 200_000, 1_000_004, 3_333_332]) torch.ones([bytes / 4]).mul(2);
    });
  step();
  const settled = torch.cpuCacheInfo();
  for (let i = 0; i < 5; i++) step();
  const after = torch.cpuCacheInfo();
  assert.equal(after.misses, settled.misses);
  assert.equal(after.cachedBytes, settled.cachedBytes);
  assert.equal(after.hits, settled.hits + 5 * 8);
  torch.emptyCache();
});

test('the cache is off by default and with PNEUMO_CPU_CACHE_MB=0', () => {
  const index = fileURLToPath(new URL('../../src/torch/index.js', import.meta.url));
  const script = `const t = await import(${JSON.stringify(index)}); t.ones([1 << 20]).dispose(); console.log(JSON.stringify(t.cpuCacheInfo()));`;
  for (const setting of [undefined, '0']) {
    const env = { ...process.env, PNEUMO_CPU_CACHE_MB: setting };
    if (setting === undefined) delete env.PNEUMO_CPU_CACHE_MB;
    const info = JSON.parse(
      execFileSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', env }),
    ) as CpuCacheInfo;
    assert.equal(info.limitBytes, 0);
    assert.equal(info.cachedBytes, 0);
  }
});
