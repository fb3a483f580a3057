// The wiring over a real socket: `pneumo serve` as a user starts it, the SIIM sample uploaded with
// STOW-RS, every result waited for; then its log is searched for the sample's identifying header
// values (Patient Name, Patient ID), which must not be there, while the UIDs are.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseDicomBytes } from '../../src/data/dicom/parse.js';
import { dicomString } from '../../src/data/dicom/meta.js';
import { SIIM_SAMPLE } from '../fixture-path.js';
import { auth, createTokenCli, makeServeBundle, startServer, stowOverHttp, waitFor } from './serve-support.js';

const root = mkdtempSync(path.join(tmpdir(), 'pneumo-serve-socket-'));
test.after(() => rmSync(root, { recursive: true, force: true }));

test('the SIIM sample over STOW-RS on a socket: every instance gets its result; the log carries UIDs, never patient names or IDs', async () => {
  const bundle = await makeServeBundle(root);
  const store = path.join(root, 'store');
  const admin = await createTokenCli(store, 'admin');
  const files = readdirSync(SIIM_SAMPLE)
    .filter((f) => f.endsWith('.dcm'))
    .sort()
    .map((f) => path.join(SIIM_SAMPLE, f));
  const server = await startServer(['--bundle', bundle, '--store', store, '--workers', '2', '--threads', '1']);
  try {
    const answer = await stowOverHttp(
      server.url,
      admin,
      files.map((f) => readFileSync(f)),
    );
    assert.equal(answer.status, 200);
    const stored = ((await answer.json()) as { stored: number }).stored;
    assert.equal(stored, files.length);
    const items = await waitFor(
      'results of the whole sample',
      async () => {
        const list = (await (
          await fetch(`${server.url}/api/worklist?status=all&limit=100`, { headers: auth(admin) })
        ).json()) as {
          items: { uid: string; status: string; result: { probability: number | null; overlayUrl: string } | null }[];
        };
        return list.items.length === files.length && list.items.every((i) => i.result !== null) ? list.items : null;
      },
      90_000,
    );
    // The input gate does not assess the sample's two children (ages 10 and 16): no probability for them.
    assert.equal(items.filter((i) => i.result!.probability === null).length, 2);
    for (const item of items) {
      const p = item.result!.probability;
      assert.ok(p === null || (p >= 0 && p <= 1));
      const overlay = await fetch(`${server.url}${item.result!.overlayUrl}`, { headers: auth(admin) });
      assert.equal(overlay.headers.get('content-type'), 'image/png');
      await overlay.arrayBuffer();
    }
  } finally {
    server.child.kill('SIGTERM');
    assert.equal(await server.exited, 0, 'SIGTERM closes the service cleanly');
  }
  const log = server.output();
  const uids = files.map((f) => path.basename(f, '.dcm'));
  assert.ok(
    uids.every((uid) => log.includes(uid)),
    'the log names instances by UID',
  );
  assert.equal(log.includes(admin), false, 'the bearer token is not logged');
  for (const file of files) {
    const { dataSet } = parseDicomBytes(readFileSync(file), file, { untilPixelData: true });
    for (const tag of ['x00100010', 'x00100020', 'x00100030']) {
      const value = dicomString(dataSet, tag);
      if (value) assert.equal(log.includes(value), false, `${tag} ${value} of ${path.basename(file)} is in the log`);
    }
  }
});
