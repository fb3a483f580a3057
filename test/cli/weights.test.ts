// `pneumo weights` and `pneumo train --pretrained NAME` end to end, against a loopback HTTP server
// serving a generated weights file under a catalog entry of PNEUMO_WEIGHTS_CATALOG; `weights convert`
// on checkpoints written by Debian's torch (test/torch/golden/checkpoint_reference.py).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import * as torch from '../../src/torch/index.js';
import { encodeRle } from '../../src/data/rle.js';
import { syntheticDicom } from '../data/dicom/synthetic.js';
import { tinyImages } from '../train/tiny-data.js';
import { runPython } from '../../bench/support/python.js';
import { serveTestEncoderCatalog, type WeightsServer } from '../models/weights-server.js';
import { PNEUMO_BIN } from './run-pneumo.js';

let dir = '';
let server: WeightsServer;
let env: NodeJS.ProcessEnv;
let sha256 = '';
before(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'pneumo-weights-cli-'));
  runPython('test/torch/golden/checkpoint_reference.py', 'reader', dir);
  const served = await serveTestEncoderCatalog(dir);
  server = served.server;
  sha256 = served.sha256;
  env = { ...process.env, PNEUMO_WEIGHTS_CATALOG: served.catalog, PNEUMO_THREADS: '2' };
});
after(async () => {
  await server.close();
  rmSync(dir, { recursive: true, force: true });
});

/** The CLI in a child process without blocking this one (the server answers from here). */
function pneumo(
  args: string[],
  extraEnv: NodeJS.ProcessEnv = {},
): Promise<{ status: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [PNEUMO_BIN, ...args],
      { env: { ...env, ...extraEnv }, encoding: 'utf8' },
      (err, stdout, stderr) => resolve({ status: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}

test('weights download fetches into --cache, list shows it cached, a second download fetches nothing', async () => {
  const cache = path.join(dir, 'cache-a');
  const first = await pneumo(['weights', 'download', 'test-w16', '--cache', cache]);
  assert.equal(first.status, 0, first.stderr);
  assert.match(first.stdout, /^test-w16: downloaded .*w16-[0-9a-f]{8}\.safetensors \(sha256 [0-9a-f]{64}\)\n$/);
  const listed = await pneumo(['weights', 'list', '--json', '--cache', cache]);
  assert.equal(listed.status, 0, listed.stderr);
  const rows = listed.stdout
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as { name: string; cached: boolean });
  assert.equal(rows.find((r) => r.name === 'test-w16')!.cached, true);
  assert.equal(rows.find((r) => r.name === 'resnet34-imagenet')!.cached, false);
  const again = await pneumo(['weights', 'download', 'test-w16', '--cache', cache]);
  assert.match(again.stdout, /^test-w16: cached /);
  assert.equal(server.requests.length, 1);
  const unknown = await pneumo(['weights', 'download', 'nope', '--cache', cache]);
  assert.equal(unknown.status, 2);
  assert.match(unknown.stderr, /^pneumo: Wrong weights name `nope`, known weights: \[test-w16, resnet18-imagenet/);
});

test('train --pretrained NAME downloads into $PNEUMO_CACHE and trains from it; offline it says where the file goes', async () => {
  const data = path.join(dir, 'data');
  mkdirSync(data, { recursive: true });
  const rows = ['ImageId, EncodedPixels'];
  for (const item of tinyImages(8, 64, 5)) {
    const id = `1.2.826.0.1.3680043.8.498.${item.id.replace(/\D+/g, '.').replace(/^\.|\.$/g, '')}`;
    const values = Array.from(item.image, (v) => Math.max(0, Math.min(65535, Math.round(((v + 1) / 3.5) * 65535))));
    writeFileSync(path.join(data, `${id}.dcm`), syntheticDicom(64, 64, values, { SOPInstanceUID: id }));
    rows.push(`${id}, ${item.label ? encodeRle({ width: 64, height: 64, data: Uint8Array.from(item.mask) }) : '-1'}`);
  }
  writeFileSync(path.join(data, 'train-rle.csv'), rows.join('\n') + '\n');
  const cache = path.join(dir, 'cache-b');
  const common = ['train', 'classifier', '--data', data, '--model', 'classifier-resnet18-w16', '--size', '64'];
  const flags = ['--epochs', '1', '--batch', '4', '--threads', '2', '--workers', '1', '--pretrained', 'test-w16'];
  const r = await pneumo([...common, ...flags, '--out', path.join(dir, 'run')], { PNEUMO_CACHE: cache });
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stderr, /pretrained test-w16: downloaded .*cache-b\/weights\/w16-[0-9a-f]{8}\.safetensors/);
  assert.match(
    r.stderr,
    /pretrained: \d+ tensors from .*cache-b\/weights\/w16-.* first conv summed, 2 tensors left out/,
  );
  const run = readFileSync(path.join(dir, 'run', 'run.json'), 'utf8');
  assert.ok(
    run.includes(`"sha256": "${sha256}"`) || run.includes(`"sha256":"${sha256}"`),
    'run.json records the digest',
  );

  const offline = await pneumo([...common, ...flags, '--out', path.join(dir, 'run-offline')], {
    PNEUMO_CACHE: path.join(dir, 'cache-c'),
    PNEUMO_WEIGHTS_MIRROR: server.url('').replace(/:\d+\/$/, ':9'),
  });
  assert.equal(offline.status, 1);
  assert.match(
    offline.stderr,
    /^pneumo: weights test-w16: cannot reach .*; offline, put the file from http:\/\/127\.0\.0\.1:\d+\/w16-[0-9a-f]{8}\.safetensors at .*cache-c\/weights\/w16-/m,
  );
});

test('weights convert writes the state dict of a torch.save file as safetensors; a hostile file is refused', async () => {
  const out = path.join(dir, 'small.safetensors');
  const r = await pneumo(['weights', 'convert', path.join(dir, 'small-module.pt'), out]);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /small\.safetensors: 10 tensors from .*small-module\.pt \(zip, module\)/);
  const { tensors, metadata } = torch.loadSafetensorsWithMetadata(out);
  const reference = torch.loadTorchCheckpoint(path.join(dir, 'small-module.pt')).tensors;
  assert.deepEqual([...tensors.keys()].sort(), [...reference.keys()].sort());
  for (const [key, t] of reference) assert.deepEqual(tensors.get(key)!.toArray(), t.toArray(), key);
  assert.equal(metadata.layout, 'module');
  [...tensors.values(), ...reference.values()].forEach((t) => t.dispose());

  const hostile = await pneumo([
    'weights',
    'convert',
    path.join(dir, 'hostile-system.pth'),
    path.join(dir, 'h.safetensors'),
  ]);
  assert.equal(hostile.status, 1);
  assert.match(hostile.stderr, /^pneumo: .*hostile-system\.pth: refused to call posix\.system/);
  const usage = await pneumo(['weights', 'convert', path.join(dir, 'views.pth'), path.join(dir, 'out.bin')]);
  assert.equal(usage.status, 2);
  assert.match(usage.stderr, /the output must be a \.safetensors file/);
});
