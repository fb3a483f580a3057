// Two "machines": two network namespaces joined by a veth pair, created here and deleted afterwards,
// each with its own 10.x address (used only inside these namespaces). One rank runs in each, the
// rendezvous goes to rank 0's address and Gloo listens on the address that routes there; the run ends
// with the weights of one process with the double batch, as on loopback.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { rankEnv, runRank } from '../torch/distributed/spawn-rank.js';

const RANK_SCRIPT = fileURLToPath(new URL('./data-parallel-rank.js', import.meta.url));
const root = mkdtempSync(path.join(tmpdir(), 'pneumo-ddp-netns-'));
test.after(() => rmSync(root, { recursive: true, force: true }));

const tag = process.pid % 100_000;
const spaces = [`pneumo-a-${tag}`, `pneumo-b-${tag}`];
const links = [`pna${tag}`, `pnb${tag}`];
const subnet = `10.${200 + (tag % 50)}.${tag % 250}`;
const addresses = [`${subnet}.1`, `${subnet}.2`];
const ip = (...args: string[]) => execFileSync('ip', args, { stdio: ['ignore', 'ignore', 'pipe'] });

function createNetwork(): void {
  for (const ns of spaces) ip('netns', 'add', ns);
  ip('link', 'add', links[0], 'type', 'veth', 'peer', 'name', links[1]);
  spaces.forEach((ns, i) => {
    ip('link', 'set', links[i], 'netns', ns);
    ip('-n', ns, 'addr', 'add', `${addresses[i]}/24`, 'dev', links[i]);
    ip('-n', ns, 'link', 'set', links[i], 'up');
    ip('-n', ns, 'link', 'set', 'lo', 'up');
  });
}

function deleteNetwork(): void {
  // Deleting a namespace deletes the veth end inside it, and with it the pair.
  for (const ns of spaces) {
    try {
      ip('netns', 'del', ns);
    } catch {
      // never created
    }
  }
}

const canUseNetns = (() => {
  if (process.getuid?.() !== 0) return 'needs root (ip netns)';
  try {
    execFileSync('ip', ['netns', 'list'], { stdio: 'ignore' });
    return true;
  } catch {
    return 'iproute2 `ip netns` is unavailable';
  }
})();

test(
  'one rank in each of two network namespaces trains to the single-process weights',
  { skip: canUseNetns === true ? false : canUseNetns },
  async () => {
    createNetwork();
    try {
      const port = 29500 + (tag % 1000);
      const out = path.join(root, 'two');
      const ranks = await Promise.all(
        [0, 1].map((rank) =>
          runRank([RANK_SCRIPT, out], rankEnv(rank, 2, port, addresses[0]), undefined, [
            'ip',
            'netns',
            'exec',
            spaces[rank],
            process.execPath,
          ]),
        ),
      );
      for (const r of ranks) assert.equal(r.code, 0, r.stderr);
      const single = await runRank([RANK_SCRIPT, path.join(root, 'one')], { ...process.env, WORLD_SIZE: '1' });
      assert.equal(single.code, 0, single.stderr);
      const [a, b] = ranks.map((r) => r.report!.weights as Record<string, number[]>);
      const one = single.report!.weights as Record<string, number[]>;
      for (const name of Object.keys(one)) {
        assert.deepEqual(a[name], b[name], `${name}: the two machines agree`);
        a[name].forEach((v, i) => assert.ok(Math.abs(v - one[name][i]) < 1e-5, `${name}[${i}]`));
      }
    } finally {
      deleteNetwork();
    }
  },
);
