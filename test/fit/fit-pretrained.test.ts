// `pneumo fit --pretrained NAME`: the segmenter's encoder weights fetched once from the catalog's URL
// (a loopback server here, as the weights tests use) into the cache, recorded in the run, and the
// classifier continuing from that segmenter.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { serveTestEncoderCatalog, type WeightsServer } from '../models/weights-server.js';
import { PNEUMO_BIN } from '../cli/run-pneumo.js';
import { writeKaggleSet } from './fit-data.js';

let dir = '';
let server: WeightsServer;
let env: NodeJS.ProcessEnv;
let sha256 = '';
let weightsFile = '';
before(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'pneumo-fit-pretrained-'));
  const served = await serveTestEncoderCatalog(dir);
  server = served.server;
  sha256 = served.sha256;
  weightsFile = served.file;
  env = { ...process.env, PNEUMO_WEIGHTS_CATALOG: served.catalog, PNEUMO_CACHE: path.join(dir, 'cache') };
});
after(async () => {
  await server.close();
  rmSync(dir, { recursive: true, force: true });
});

function pneumo(args: string[]): Promise<{ status: number; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [PNEUMO_BIN, ...args], { env, encoding: 'utf8' }, (err, _stdout, stderr) =>
      resolve({ status: err ? ((err as { code?: number }).code ?? 1) : 0, stderr }),
    );
  });
}

test('fit --pretrained NAME downloads the encoder once and the segmenter starts from it', async () => {
  const data = await writeKaggleSet(path.join(dir, 'data'), 12, 41);
  const tiny = ['--size', '64', '--seg-epochs', '1', '--cls-epochs', '1', '--precision', 'fp32', '--threads', '1'];
  const sets = ['--set', 'segmenter.batch=4', '--set', 'classifier.batch=4'];
  const out = path.join(dir, 'fit');
  const run = await pneumo(['fit', '--data', data.dir, '--out', out, '--pretrained', 'test-w16', ...tiny, ...sets]);
  assert.equal(run.status, 0, run.stderr);
  assert.match(run.stderr, /pretrained test-w16: downloaded/);
  assert.equal(server.requests.filter((r) => r.path.endsWith(weightsFile)).length, 1);
  const segmenter = JSON.parse(readFileSync(path.join(out, 'runs', 'segmenter', 'run.json'), 'utf8')) as {
    provenance: { pretrained: string; pretrainedWeights: { name: string; sha256: string } };
  };
  assert.equal(segmenter.provenance.pretrained, 'test-w16');
  assert.equal(segmenter.provenance.pretrainedWeights.name, 'test-w16');
  assert.equal(segmenter.provenance.pretrainedWeights.sha256, sha256);
  const classifier = JSON.parse(readFileSync(path.join(out, 'runs', 'classifier', 'run.json'), 'utf8')) as {
    provenance: { pretrained: string };
  };
  assert.equal(classifier.provenance.pretrained, path.join(out, 'runs', 'segmenter', 'best.safetensors'));
  assert.match(readFileSync(path.join(out, 'index.html'), 'utf8'), /test-w16/, 'the report shows the plan');

  // Another fit with the same weights takes them from the cache.
  const again = await pneumo([
    'fit',
    '--data',
    data.dir,
    '--out',
    path.join(dir, 'fit2'),
    '--pretrained',
    'test-w16',
    ...tiny,
    ...sets,
  ]);
  assert.equal(again.status, 0, again.stderr);
  assert.equal(server.requests.filter((r) => r.path.endsWith(weightsFile)).length, 1);
});
