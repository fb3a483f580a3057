import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import * as torch from '../../src/torch/index.js';
import { nn, type Tensor } from '../../src/torch/index.js';
import { pythonJson } from '../../bench/support/python.js';

const REFERENCE = 'test/torch/golden/safetensors_reference.py';

interface Described {
  tensors: Record<string, { dtype: string; shape: number[]; values: number[] }>;
  metadata: Record<string, string>;
}

const DTYPE_NAME: Record<string, string> = {
  float32: 'F32',
  float16: 'F16',
  bfloat16: 'BF16',
  float64: 'F64',
  int64: 'I64',
  int32: 'I32',
  uint8: 'U8',
  bool: 'BOOL',
};

/** Values as plain numbers: exact for integers, float64 as stored, half types widened. */
function valuesOf(t: Tensor): number[] {
  if (t.dtype === 'int64') return Array.from(t.data() as BigInt64Array, Number);
  if (t.dtype === 'float64' || t.dtype === 'int32' || t.dtype === 'uint8' || t.dtype === 'bool')
    return Array.from(t.data() as ArrayLike<number>);
  return Array.from(t.toFloat32Array());
}

function withDir(fn: (dir: string) => void): void {
  const dir = mkdtempSync(path.join(tmpdir(), 'pneumo-safetensors-'));
  try {
    fn(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test('reads a file written by hand in Python per the spec, every dtype, and writes the same bytes back', () =>
  withDir((dir) => {
    const file = path.join(dir, 'python.safetensors');
    const expected = pythonJson<Described>(REFERENCE, 'write', file);
    torch.scope(() => {
      const { tensors, metadata } = torch.loadSafetensorsWithMetadata(file);
      assert.deepEqual(metadata, expected.metadata);
      assert.deepEqual([...tensors.keys()].sort(), Object.keys(expected.tensors).sort());
      for (const [name, want] of Object.entries(expected.tensors)) {
        const t = tensors.get(name)!;
        assert.equal(DTYPE_NAME[t.dtype], want.dtype, name);
        assert.deepEqual(t.shape, want.shape, name);
        assert.deepEqual(valuesOf(t), want.values, name);
      }
      assert.ok(Object.is(valuesOf(tensors.get('half')!)[1], -0), 'the sign of a float16 zero survives');
      const again = path.join(dir, 'again.safetensors');
      torch.saveSafetensors(again, tensors, metadata);
      assert.deepEqual(readFileSync(again), readFileSync(file), 'same tensors and metadata give the reference bytes');
    });
  }));

test('a file written here parses back in Python with the same values', () =>
  withDir((dir) => {
    const file = path.join(dir, 'ts.safetensors');
    torch.manualSeed(7);
    torch.scope(() => {
      const tensors = new Map<string, Tensor>([
        ['layer1.0.conv1.weight', torch.randn([4, 3, 3, 3])],
        ['layer1.0.bn1.num_batches_tracked', torch.tensor(new BigInt64Array([123456789012n]), [])],
        ['half', torch.randn([5]).to('float16')],
        ['bf', torch.randn([2, 3]).to('bfloat16')],
        ['labels', torch.tensor(new Int32Array([3, -1, 0]))],
        ['pixels', torch.tensor(new Uint8Array([0, 17, 255]), [1, 3])],
        ['mask', torch.tensor(new Uint8Array([1, 0, 0, 1]), [2, 2], 'bool')],
        ['double', torch.tensor(new Float64Array([1 / 3, -1e200]))],
        ['transposed', torch.arange(0, 6).reshape([2, 3]).transpose(0, 1)],
        ['empty', torch.zeros([0])],
      ]);
      torch.saveSafetensors(file, tensors, { framework: 'pneumo', ünïcode: 'värde' });
      const parsed = pythonJson<Described>(REFERENCE, 'check', file);
      assert.deepEqual(parsed.metadata, { framework: 'pneumo', ünïcode: 'värde' });
      for (const [name, t] of tensors) {
        const got = parsed.tensors[name];
        assert.ok(got, `${name} missing in Python's reading`);
        assert.equal(got.dtype, DTYPE_NAME[t.dtype], name);
        assert.deepEqual(got.shape, t.shape, name);
        assert.deepEqual(got.values, valuesOf(t), name);
      }
      assert.deepEqual(readdirSync(dir), ['ts.safetensors'], 'no temporary file left behind');
    });
  }));

class SmallNet extends nn.Layer {
  readonly features = this.registerModule(
    'features',
    new nn.Sequential(
      new nn.Conv2d(2, 4, 3, { padding: 1 }),
      new nn.BatchNorm2d(4),
      new nn.ReLU(),
      new nn.MaxPool2d(2),
    ),
  );
  readonly head = this.registerModule('head', new nn.Linear(4 * 4 * 4, 3));
  forward(x: Tensor): Tensor {
    return this.head.forward(this.features.forward(x).flatten(1));
  }
}

test('a module state dict round trips through safetensors: a fresh net gives identical outputs', () =>
  withDir((dir) => {
    torch.manualSeed(3);
    const trained = new SmallNet();
    const fresh = new SmallNet();
    const file = path.join(dir, 'net.safetensors');
    torch.scope(() => {
      // A training-mode forward moves the BatchNorm running statistics away from their defaults.
      trained.forward(torch.randn([4, 2, 8, 8]));
      trained.forward(torch.randn([4, 2, 8, 8]));
      trained.eval();
      fresh.eval();
      const x = torch.randn([2, 2, 8, 8]);
      assert.notDeepEqual([...fresh.forward(x).toFloat32Array()], [...trained.forward(x).toFloat32Array()]);
      torch.saveSafetensors(file, trained.stateDict());
      fresh.loadStateDict(torch.loadSafetensors(file));
      assert.deepEqual([...fresh.forward(x).toFloat32Array()], [...trained.forward(x).toFloat32Array()]);
      assert.deepEqual(fresh.features.child('1').buffer('num_batches_tracked').toArray(), 2);
    });
    const header = torch.readSafetensorsHeader(file);
    assert.deepEqual(header.tensors.get('features.0.weight'), {
      dtype: 'float32',
      shape: [4, 2, 3, 3],
      dataOffsets: header.tensors.get('features.0.weight')!.dataOffsets,
    });
    assert.equal(header.tensors.get('features.1.num_batches_tracked')!.dtype, 'int64');
    assert.equal(header.tensors.size, 9);
    trained.dispose();
    fresh.dispose();
  }));

test('corrupt files fail with the file name and the reason, and leak nothing', () =>
  withDir((dir) => {
    const good = path.join(dir, 'good.safetensors');
    torch.scope(() =>
      torch.saveSafetensors(
        good,
        new Map([
          ['a', torch.ones([2, 2])],
          ['b', torch.zeros([3], { dtype: 'int64' })],
        ]),
      ),
    );
    const bytes = readFileSync(good);
    const headerLength = Number(bytes.readBigUInt64LE(0));
    const header = bytes.subarray(8, 8 + headerLength).toString();
    const withHeader = (text: string, data = bytes.subarray(8 + headerLength)) => {
      const padded = Buffer.from(text);
      const length = Buffer.alloc(8);
      length.writeBigUInt64LE(BigInt(padded.length));
      return Buffer.concat([length, padded, data]);
    };
    const cases: [string, Buffer, RegExp][] = [
      ['short', bytes.subarray(0, 5), /too short to be a safetensors file \(5 bytes\)/],
      [
        'huge-header',
        Buffer.concat([Buffer.from([0, 0, 0, 0, 0, 0, 0, 1]), bytes.subarray(8)]),
        /header length \d+ is too large/,
      ],
      [
        'past-end',
        withHeader(header).subarray(0, 8 + headerLength - 3),
        /header length \d+ runs past the end of the file/,
      ],
      ['truncated', bytes.subarray(0, bytes.length - 4), /the tensors cover 40 data bytes but the file holds 36/],
      ['not-json', withHeader('{"a": nope}     '), /header is not valid JSON/],
      ['unknown-dtype', withHeader(header.replace('"F32"', '"C64"')), /tensor a: unsupported dtype "C64"/],
      ['bad-shape', withHeader(header.replace('[2,2]', '[2,-2]')), /tensor a: invalid shape \[2,-2\]/],
      [
        'wrong-size',
        withHeader(header.replace('[2,2]', '[2,3]')),
        /tensor a: data_offsets \[\d+, \d+\] hold 16 bytes but float32 \[2,3\] needs 24/,
      ],
      [
        'bad-metadata',
        withHeader(header.replace('{', '{"__metadata__":{"n":1},')),
        /__metadata__ must map strings to strings/,
      ],
    ];
    const live = torch.liveTensors();
    for (const [name, content, reason] of cases) {
      const file = path.join(dir, `${name}.safetensors`);
      writeFileSync(file, content);
      assert.throws(
        () => torch.loadSafetensors(file),
        (e: Error) =>
          e instanceof torch.SafetensorsError && e.message.startsWith(file + ': ') && reason.test(e.message),
        name,
      );
    }
    assert.throws(
      () => torch.loadSafetensors(path.join(dir, 'missing.safetensors')),
      /missing\.safetensors: cannot open \(no such file or folder\)/,
    );
    assert.equal(torch.liveTensors(), live);
    torch.scope(() => {
      const target = path.join(dir, 'no-such-dir', 'x.safetensors');
      assert.throws(
        () => torch.saveSafetensors(target, new Map([['a', torch.ones([1])]])),
        /x\.safetensors: cannot write \(no such file or folder\)/,
      );
      // Overwriting replaces the file whole.
      torch.saveSafetensors(good, new Map([['c', torch.full([1], 5)]]));
      assert.deepEqual([...torch.loadSafetensors(good).keys()], ['c']);
    });
    assert.ok(!readdirSync(dir).some((f) => f.endsWith('.tmp')));
  }));
