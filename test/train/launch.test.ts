// The launcher's argument handling: its own flags are taken out of the command every rank runs, and
// impossible layouts are refused before anything starts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkLaunch, withoutLaunchFlags } from '../../src/train/launch.js';

const FLAGS = ['--nproc-per-node', '--nnodes', '--node-rank', '--master-addr', '--master-port'];

test("the ranks' command keeps everything but the launcher's flags, in both spellings", () => {
  assert.deepEqual(
    withoutLaunchFlags(
      [
        'train',
        'classifier',
        '--nproc-per-node',
        '2',
        '--data',
        'd',
        '--master-port=1234',
        '--epochs',
        '3',
        '--nnodes',
        '1',
      ],
      FLAGS,
    ),
    ['train', 'classifier', '--data', 'd', '--epochs', '3'],
  );
});

test('impossible layouts are refused', () => {
  const ok = { nprocPerNode: 2, nnodes: 2, nodeRank: 1, masterPort: 29500 };
  assert.doesNotThrow(() => checkLaunch(ok));
  assert.throws(() => checkLaunch({ ...ok, nodeRank: 2 }), /--node-rank must be in \[0, 1\], received 2/);
  assert.throws(() => checkLaunch({ ...ok, nprocPerNode: 0 }), /--nproc-per-node must be a positive integer/);
  assert.throws(() => checkLaunch({ ...ok, masterPort: 70000 }), /--master-port must be a TCP port/);
});
