// PyTorch checkpoints read without Python: files written by Debian's torch 1.13 (the committed script
// test/torch/golden/checkpoint_reference.py) give the values torch gives, in every format and shape
// (zip and legacy, big-endian records, views sharing a storage, half types, a training script's
// wrapped dict, a whole pickled module); hostile pickles are refused and run nothing.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import * as torch from '../../src/torch/index.js';
import type { Tensor } from '../../src/torch/index.js';
import { unpickle, PickleObject } from '../../src/torch/pickle.js';
import { pythonJson } from '../../bench/support/python.js';

type Described = Record<string, { dtype: string; shape: number[]; values: (number | string)[] }>;
interface Reference {
  views: Described;
  wrapped: Described;
  wrapped_keys: string[];
  small: Described;
}

let dir = '';
let reference: Reference;
before(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'pneumo-checkpoint-'));
  reference = pythonJson<Reference>('test/torch/golden/checkpoint_reference.py', 'reader', dir);
});
after(() => rmSync(dir, { recursive: true, force: true }));

/** Values as Python printed them: integers as decimal strings (exact for int64), floats widened. */
function valuesOf(t: Tensor): (number | string)[] {
  if (t.dtype === 'int64') return Array.from(t.data() as BigInt64Array, String);
  if (t.dtype === 'int32' || t.dtype === 'uint8' || t.dtype === 'bool')
    return Array.from(t.data() as ArrayLike<number>, String);
  if (t.dtype === 'float64') return Array.from(t.data() as Float64Array);
  return Array.from(t.toFloat32Array());
}

function assertMatches(tensors: Map<string, Tensor>, expected: Described, label: string): void {
  for (const [name, want] of Object.entries(expected)) {
    const t = tensors.get(name);
    assert.ok(t, `${label}: ${name} missing`);
    assert.equal(t.dtype, want.dtype, `${label}: ${name} dtype`);
    assert.deepEqual(t.shape, want.shape, `${label}: ${name} shape`);
    assert.deepEqual(valuesOf(t), want.values, `${label}: ${name} values`);
  }
}

function load(file: string): torch.TorchCheckpoint & { dispose: () => void } {
  const checkpoint = torch.loadTorchCheckpoint(path.join(dir, file));
  return { ...checkpoint, dispose: () => checkpoint.tensors.forEach((t) => t.dispose()) };
}

for (const [file, format] of [
  ['views.pth', 'zip'],
  ['views-big.pth', 'zip'],
  ['views-legacy.pth', 'legacy'],
] as const)
  test(`${file}: views of one storage, strides, offsets, fp16, bf16 and integer types give torch's values`, () => {
    const live = torch.liveTensors();
    const checkpoint = load(file);
    try {
      assert.equal(checkpoint.format, format);
      assert.equal(checkpoint.layout, 'state-dict');
      assert.deepEqual([...checkpoint.tensors.keys()], Object.keys(reference.views));
      assertMatches(checkpoint.tensors, reference.views, file);
    } finally {
      checkpoint.dispose();
    }
    assert.equal(torch.liveTensors(), live);
  });

test("a training script's dict: the state dict under `state_dict`, optimizer state, Namespace and NumPy values ignored", () => {
  const checkpoint = load('wrapped.pth');
  try {
    assert.equal(checkpoint.layout, 'wrapped:state_dict');
    assert.deepEqual([...checkpoint.tensors.keys()], reference.wrapped_keys);
    assertMatches(checkpoint.tensors, reference.wrapped, 'wrapped.pth');
  } finally {
    checkpoint.dispose();
  }
});

test('a tensor subclass, pickled through _rebuild_from_type_v2, gives its values', () => {
  const checkpoint = load('tagged.pth');
  try {
    assert.deepEqual(Array.from(checkpoint.tensors.get('tagged')!.toFloat32Array()), [0, 1, 2, 3]);
    assert.deepEqual(Array.from(checkpoint.tensors.get('plain')!.toFloat32Array()), [1, 1]);
  } finally {
    checkpoint.dispose();
  }
});

for (const file of ['small-module.pt', 'small-module-legacy.pt'])
  test(`${file}: a whole pickled nn.Module gives Module.state_dict() (order, nesting, no non-persistent buffers)`, () => {
    const checkpoint = load(file);
    try {
      assert.equal(checkpoint.layout, 'module');
      assert.deepEqual([...checkpoint.tensors.keys()], Object.keys(reference.small));
      assertMatches(checkpoint.tensors, reference.small, file);
    } finally {
      checkpoint.dispose();
    }
  });

for (const [file, global] of [
  ['hostile-system.pth', 'posix.system'],
  ['hostile-call.pth', 'builtins.eval'],
])
  test(`${file}: a call of ${global} is refused with one line, and nothing runs`, () => {
    const live = torch.liveTensors();
    assert.throws(
      () => torch.loadTorchCheckpoint(path.join(dir, file)),
      (err: Error) =>
        err instanceof torch.CheckpointError &&
        err.message.includes(file) &&
        err.message.includes(`refused to call ${global}`) &&
        !err.message.includes('\n'),
    );
    assert.equal(existsSync(path.join(dir, 'MARKER')), false);
    assert.equal(torch.liveTensors(), live);
  });

test('classes become inert placeholders; REDUCE of a global off the allow-list is refused', () => {
  // protocol 2: GLOBAL 'argparse Namespace', EMPTY_TUPLE, NEWOBJ, {'lr': 0.5} BUILD, STOP
  const newobj = Buffer.concat([
    Buffer.from([0x80, 0x02]),
    Buffer.from('cargparse\nNamespace\n', 'latin1'),
    Buffer.from([0x29, 0x81, 0x7d]),
    Buffer.from([0x58, 2, 0, 0, 0]),
    Buffer.from('lr', 'latin1'),
    Buffer.from([0x47]),
    Buffer.from([0x3f, 0xe0, 0, 0, 0, 0, 0, 0]),
    Buffer.from([0x73, 0x62, 0x2e]),
  ]);
  const { value } = unpickle(newobj, { reducers: new Map() });
  assert.ok(value instanceof PickleObject);
  assert.equal(value.className, 'argparse.Namespace');
  assert.deepEqual(value.state, new Map([['lr', 0.5]]));
  // GLOBAL 'subprocess Popen', ('ls',) REDUCE
  const popen = Buffer.concat([
    Buffer.from([0x80, 0x02]),
    Buffer.from('csubprocess\nPopen\n', 'latin1'),
    Buffer.from([0x8c, 2]),
    Buffer.from('ls', 'latin1'),
    Buffer.from([0x85, 0x52, 0x2e]),
  ]);
  assert.throws(() => unpickle(popen, { reducers: new Map() }), /refused to call subprocess\.Popen/);
});

test('not a checkpoint, a truncated zip and a tar-era file get errors naming the format', () => {
  const cases: [string, Buffer, RegExp][] = [
    ['text.pth', Buffer.from('hello, not weights\n'), /not a PyTorch checkpoint/],
    [
      'tar.pth',
      Buffer.concat([Buffer.alloc(257), Buffer.from('ustar'), Buffer.alloc(250)]),
      /tar format of PyTorch < 0\.4/,
    ],
    ['short-zip.pth', Buffer.from([0x50, 0x4b, 0x03, 0x04, 1, 2, 3]), /no end-of-central-directory record/],
  ];
  for (const [name, bytes, message] of cases) {
    const file = path.join(dir, name);
    writeFileSync(file, bytes);
    assert.throws(
      () => torch.loadTorchCheckpoint(file),
      (err: Error) => err instanceof torch.CheckpointError && message.test(err.message) && err.message.startsWith(file),
    );
  }
  assert.throws(
    () => torch.loadTorchCheckpoint(path.join(dir, 'absent.pth')),
    /absent\.pth: cannot open \(no such file or folder\)/,
  );
});
