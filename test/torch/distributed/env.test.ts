// torchrun's variables to a rank's settings; malformed ones are errors naming the variable.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { rankFromEnv } from '../../../src/torch/distributed/env.js';

const torchrun = {
  RANK: '3',
  LOCAL_RANK: '1',
  WORLD_SIZE: '4',
  LOCAL_WORLD_SIZE: '2',
  MASTER_ADDR: 'node0',
  MASTER_PORT: '29500',
};

test('the variables torchrun sets make a rank; without WORLD_SIZE > 1 there is none', () => {
  assert.deepEqual(rankFromEnv(torchrun), {
    rank: 3,
    localRank: 1,
    worldSize: 4,
    localWorldSize: 2,
    masterAddr: 'node0',
    masterPort: 29500,
  });
  assert.equal(rankFromEnv({}), null);
  assert.equal(rankFromEnv({ ...torchrun, WORLD_SIZE: '1', RANK: '0' }), null);
  assert.equal(rankFromEnv({ ...torchrun, GLOO_SOCKET_IFNAME: 'eth1' })!.interface, 'eth1');
  // Slurm-style wrappers may set only the global ones: one node.
  const { LOCAL_RANK: _l, LOCAL_WORLD_SIZE: _w, ...globalOnly } = torchrun;
  assert.deepEqual(rankFromEnv(globalOnly), { ...rankFromEnv(torchrun), localRank: 3, localWorldSize: 4 });
});

test('malformed variables are errors naming them', () => {
  assert.throws(() => rankFromEnv({ ...torchrun, RANK: undefined }), /RANK is not set/);
  assert.throws(() => rankFromEnv({ ...torchrun, RANK: '4' }), /RANK=4 is not below WORLD_SIZE=4/);
  assert.throws(() => rankFromEnv({ ...torchrun, MASTER_PORT: 'x' }), /MASTER_PORT=x: expected an integer/);
  assert.throws(() => rankFromEnv({ ...torchrun, MASTER_PORT: '70000' }), /MASTER_PORT=70000: not a TCP port/);
  assert.throws(() => rankFromEnv({ ...torchrun, MASTER_ADDR: ' ' }), /MASTER_ADDR is not set/);
});
