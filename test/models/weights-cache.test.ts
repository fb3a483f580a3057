// The weights cache against a loopback HTTP server: a download lands hash-checked and is not fetched
// again; a cut connection resumes with a Range request; a corrupted body is rejected by its hash and
// never cached; a 404 and an unreachable host are one-line errors saying where to put the file; a
// mirror serves the same names. Also the catalog's own rules (torch.hub's hash prefixes, `imagenet`).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { findWeights, WEIGHTS_CATALOG, type WeightsEntry } from '../../src/models/weights-catalog.js';
import { cacheState, ensureWeights, resolvePretrained, weightsPath } from '../../src/models/weights-cache.js';
import { DownloadError } from '../../src/models/weights-download.js';
import { startWeightsServer, testEncoderWeights, type WeightsServer } from './weights-server.js';

let dir = '';
let server: WeightsServer;
let body: Buffer;
let sha256 = '';
before(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'pneumo-weights-cache-'));
  ({ body, sha256 } = testEncoderWeights(dir));
  server = await startWeightsServer();
});
after(async () => {
  await server.close();
  rmSync(dir, { recursive: true, force: true });
});

let counter = 0;
/** A catalog entry served under a fresh name, checked by the first 8 hex digits as torchvision's are. */
function served(options: { corrupt?: boolean; cutAfter?: number } = {}): { entry: WeightsEntry; cache: string } {
  const name = `w16-${++counter}-${sha256.slice(0, 8)}.safetensors`;
  const corrupt = options.corrupt ? Buffer.from(body) : undefined;
  if (corrupt) corrupt[corrupt.length - 5] ^= 0xff;
  server.files.set(name, { body, corrupt, cutAfter: options.cutAfter });
  const entry: WeightsEntry = {
    name: `test-w16-${counter}`,
    url: server.url(name),
    sha256: sha256.slice(0, 8),
    encoders: ['resnet18-w16'],
    inChannels: 3,
    params: 0,
    source: 'local',
    description: 'test',
    licence: 'test',
  };
  return { entry, cache: path.join(dir, `cache-${counter}`) };
}

const requestsFor = (entry: WeightsEntry) => server.requests.filter((r) => entry.url.endsWith(r.path));

test('a download lands in the cache, hash-checked, with its digest beside it; a second call fetches nothing', async () => {
  const { entry, cache } = served();
  const progress: number[] = [];
  const first = await ensureWeights(entry, { cacheDir: cache, onProgress: (received) => progress.push(received) });
  assert.equal(first.action, 'downloaded');
  assert.equal(first.sha256, sha256);
  assert.deepEqual(readFileSync(first.file), body);
  assert.equal(first.file, weightsPath(entry, cache));
  assert.equal(progress.at(-1), body.length);
  assert.match(readFileSync(`${first.file}.sha256`, 'utf8'), new RegExp(`^${sha256} `));
  assert.equal(existsSync(`${first.file}.part`), false);
  assert.equal(cacheState(entry, cache).cached, true);
  const second = await ensureWeights(entry, { cacheDir: cache });
  assert.equal(second.action, 'cached');
  assert.equal(requestsFor(entry).length, 1);
});

test('a cut connection leaves a part that the next call resumes with a Range request', async () => {
  const cut = 4000;
  const { entry, cache } = served({ cutAfter: cut });
  await assert.rejects(ensureWeights(entry, { cacheDir: cache }), (err: Error) => {
    assert.ok(err instanceof DownloadError);
    assert.match(err.message, new RegExp(`interrupted after ${cut} bytes .*run again to resume`));
    return true;
  });
  const file = weightsPath(entry, cache);
  assert.equal(existsSync(file), false);
  assert.equal(statSync(`${file}.part`).size, cut);
  assert.equal(cacheState(entry, cache).partialBytes, cut);
  const resumed = await ensureWeights(entry, { cacheDir: cache });
  assert.equal(resumed.action, 'resumed');
  assert.deepEqual(readFileSync(file), body);
  assert.deepEqual(
    requestsFor(entry).map((r) => r.range),
    [undefined, `bytes=${cut}-`],
  );
});

test('a corrupted body is rejected by its hash and nothing is cached', async () => {
  const { entry, cache } = served({ corrupt: true });
  await assert.rejects(
    ensureWeights(entry, { cacheDir: cache }),
    new RegExp(
      `SHA-256 [0-9a-f]{16}\\.\\.\\. does not match the published ${sha256.slice(0, 8)}; the corrupt download was deleted`,
    ),
  );
  const file = weightsPath(entry, cache);
  assert.equal(existsSync(file), false);
  assert.equal(existsSync(`${file}.part`), false);
  assert.equal(cacheState(entry, cache).cached, false);
});

test('a 404 and an unreachable host are one-line errors; offline, the error says which file to put where', async () => {
  const { entry, cache } = served();
  const missing = { ...entry, url: server.url('absent-00000000.pth') };
  await assert.rejects(ensureWeights(missing, { cacheDir: cache }), (err: Error) =>
    /^HTTP 404 Not Found from http:\/\/127\.0\.0\.1:\d+\/absent-00000000\.pth$/.test(err.message),
  );
  assert.equal(existsSync(weightsPath(missing, cache)), false);
  // A port that was just free: nothing listens there.
  const closed = await startWeightsServer();
  const unreachable = { ...entry, url: closed.url('nothing-00000000.pth') };
  await closed.close();
  await assert.rejects(ensureWeights(unreachable, { cacheDir: cache }), (err: Error) => {
    assert.ok(err instanceof DownloadError && err.unreachable);
    assert.ok(err.message.includes(`cannot reach ${unreachable.url} (ECONNREFUSED)`), err.message);
    assert.ok(
      err.message.includes(`offline, put the file from ${unreachable.url} at ${weightsPath(unreachable, cache)}`),
    );
    assert.ok(!err.message.includes('\n'));
    return true;
  });
  await assert.rejects(
    ensureWeights(entry, { cacheDir: cache, download: false }),
    /downloading is off: put the file from/,
  );
});

test('a mirror serves the same file names; a file put in the cache by hand is verified once, and replaced if wrong', async () => {
  const { entry, cache } = served();
  const published = { ...entry, url: `https://models.invalid/weights/${path.basename(new URL(entry.url).pathname)}` };
  const env = { PNEUMO_WEIGHTS_MIRROR: server.url('').replace(/\/$/, '') };
  const result = await ensureWeights(published, { cacheDir: cache, env });
  assert.equal(result.action, 'downloaded');
  assert.deepEqual(readFileSync(result.file), body);
  // By hand: the digest record is missing, so the file is hashed; a wrong file is replaced.
  rmSync(`${result.file}.sha256`);
  assert.equal((await ensureWeights(published, { cacheDir: cache, env: {}, download: false })).action, 'cached');
  assert.ok(existsSync(`${result.file}.sha256`));
  // A wrong file is kept and named when downloading is off, replaced when it is on.
  rmSync(`${result.file}.sha256`);
  writeFileSync(result.file, 'not the weights');
  await assert.rejects(
    ensureWeights(published, { cacheDir: cache, env, download: false }),
    /does not match the published SHA-256 [0-9a-f]{8} of weights test-w16-\d+: replace it with the file from https:\/\/models\.invalid\//,
  );
  assert.equal((await ensureWeights(published, { cacheDir: cache, env })).action, 'downloaded');
  assert.deepEqual(readFileSync(result.file), body);
});

test('--pretrained NAME resolves through the cache; a path stays a path; `imagenet` picks the encoder`s weights', async () => {
  const { entry, cache } = served();
  const catalogFile = path.join(dir, 'catalog.json');
  writeFileSync(catalogFile, JSON.stringify([entry]));
  const env = { PNEUMO_WEIGHTS_CATALOG: catalogFile };
  const resolved = await resolvePretrained(entry.name, 'resnet18-w16', { cacheDir: cache, env });
  assert.equal(resolved.file, weightsPath(entry, cache));
  assert.equal(resolved.action, 'downloaded');
  assert.deepEqual(await resolvePretrained('runs/seg/best.safetensors', 'resnet18-w16', { env }), {
    file: 'runs/seg/best.safetensors',
    entry: null,
  });
  await assert.rejects(
    resolvePretrained(entry.name, 'resnet34', { cacheDir: cache, env }),
    /fit resnet18-w16, not encoder resnet34/,
  );
  assert.equal(
    findWeights('imagenet', 'resnet34', {}).url,
    'https://download.pytorch.org/models/resnet34-b627a593.pth',
  );
  assert.throws(
    () => findWeights('imagenet', 'resnet18-w16', {}),
    /no ImageNet weights are published for encoder resnet18-w16/,
  );
  assert.throws(
    () => findWeights('nope', 'densenet121', {}),
    /Wrong weights name `nope`.*for densenet121: \[densenet121-imagenet, xrv-densenet121/,
  );
});

test('the catalog: every torchvision file name carries its hash prefix, every encoder named exists', () => {
  const encoders = new Set([
    'resnet18',
    'resnet34',
    'resnet50',
    'densenet121',
    'vgg16',
    'vgg16_bn',
    'vgg19',
    'vgg19_bn',
    'efficientnet-b0',
  ]);
  for (const entry of WEIGHTS_CATALOG) {
    for (const e of entry.encoders) assert.ok(encoders.has(e), `${entry.name}: ${e}`);
    if (entry.source === 'torchvision') {
      const prefix = /-([0-9a-f]{8,})\.pth$/.exec(entry.url)![1];
      assert.ok(entry.sha256!.startsWith(prefix), entry.name);
    } else assert.match(entry.url, /^https:\/\/github\.com\/mlmed\/torchxrayvision\/releases\/download\/v1\/.+\.pt$/);
  }
  assert.equal(new Set(WEIGHTS_CATALOG.map((e) => e.name)).size, WEIGHTS_CATALOG.length);
});
