// kill -9 safety: the service is killed (SIGKILL, no chance to clean up) while uploads are arriving and
// while inference runs, several times over. Afterwards every acknowledged upload has its result,
// results finished before a kill are not redone, and the database passes SQLite's integrity check.
// Also: an inference worker killed mid-job is replaced and its job is done by the next one.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { SqliteStore } from '../../src/serve/store/sqlite-store.js';
import { DATABASE_FILE } from '../../src/serve/store/store-layout.js';
import { buildApp } from '../../src/serve/app.js';
import { createToken } from '../../src/serve/auth/tokens.js';
import {
  auth,
  createTokenCli,
  makeServeBundle,
  smallDicom,
  startServer,
  stowBody,
  stowOverHttp,
  waitFor,
  SMALL_FILM_GATE,
} from './serve-support.js';

const root = mkdtempSync(path.join(tmpdir(), 'pneumo-serve-kill-'));
let bundle: string;
test.before(async () => {
  bundle = await makeServeBundle(root);
});
test.after(() => rmSync(root, { recursive: true, force: true }));

const ROUNDS = 3;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Finished results (uid -> finishedAt) and the integrity check, read while no service runs. */
async function inspectStore(store: string) {
  const db = new SqliteStore(path.join(store, DATABASE_FILE));
  try {
    const rows = await db.worklist({ status: 'all', limit: 100_000, escalateReceivedBefore: 0, after: null });
    const finished = new Map(rows.filter((r) => r.result).map((r) => [r.instance.uid, r.result!.finishedAt]));
    return { finished, states: rows.map((r) => r.instance.state), integrity: db.integrityCheck() };
  } finally {
    await db.close();
  }
}

test('kill -9 during ingest and during inference, in a loop: nothing acknowledged is lost, nothing finished is redone', async (t) => {
  const store = path.join(root, 'store');
  const token = await createTokenCli(store, 'admin');
  const acknowledged = new Set<string>();
  const finishedBefore = new Map<string, number>();
  let next = 0;
  const t0 = Date.now();
  for (let round = 0; round < ROUNDS; round++) {
    const server = await startServer(['--bundle', bundle, '--store', store, '--threads', '1']);
    const duringIngest = round % 2 === 0;
    let uploading = true;
    const uploads = (async () => {
      while (uploading) {
        const uids = Array.from({ length: 4 }, () => `1.2.826.0.1.77.${++next}`);
        const dicoms = await Promise.all(uids.map((uid, k) => smallDicom(uid, 128, next + k)));
        try {
          const answer = await stowOverHttp(server.url, token, dicoms);
          if (answer.status === 200) for (const uid of uids) acknowledged.add(uid);
          else await answer.arrayBuffer();
        } catch {
          return; // the connection died with the service: these were not acknowledged
        }
        if (!duringIngest) uploading = false;
      }
    })();
    if (duringIngest) await sleep(300 + 150 * round);
    else {
      await uploads;
      // Some results are in, some are not: kill while the worker is busy.
      await waitFor('a result', async () => (await inspectResultsOverHttp(server.url, token)) > 0);
    }
    server.child.kill('SIGKILL');
    uploading = false;
    await server.exited;
    await uploads;
    const { finished, integrity } = await inspectStore(store);
    assert.equal(integrity, 'ok', `round ${round}`);
    for (const [uid, at] of finishedBefore) assert.equal(finished.get(uid), at, `${uid} was redone`);
    for (const [uid, at] of finished) finishedBefore.set(uid, at);
  }
  assert.ok(acknowledged.size > 0);
  t.diagnostic(
    `acknowledged ${acknowledged.size}, finished before the last start ${finishedBefore.size}, ${Date.now() - t0} ms`,
  );
  const server = await startServer(['--bundle', bundle, '--store', store, '--threads', '1']);
  try {
    await waitFor(
      'every acknowledged upload to have its result',
      async () => {
        const answer = await fetch(`${server.url}/api/worklist?status=pending`, { headers: auth(token) });
        return ((await answer.json()) as { items: unknown[] }).items.length === 0;
      },
      60_000,
    );
  } finally {
    server.child.kill('SIGTERM');
    await server.exited;
  }
  const { finished, states, integrity } = await inspectStore(store);
  assert.equal(integrity, 'ok');
  assert.ok(
    states.every((s) => s === 'done'),
    `states: ${states.join(' ')}`,
  );
  for (const uid of acknowledged) assert.ok(finished.has(uid), `acknowledged ${uid} has no result`);
  for (const [uid, at] of finishedBefore) assert.equal(finished.get(uid), at, `${uid} was redone`);
});

async function inspectResultsOverHttp(url: string, token: string): Promise<number> {
  const answer = await fetch(`${url}/api/worklist?status=unreviewed&limit=500`, { headers: auth(token) });
  return ((await answer.json()) as { items: unknown[] }).items.length;
}

test('an inference worker killed mid-job is replaced, and the job is done by its successor', async () => {
  const built = await buildApp({
    gate: SMALL_FILM_GATE,
    bundleDir: bundle,
    storeDir: path.join(root, 'store-worker'),
    threadsPerWorker: 1,
    logger: false,
    webDist: null,
  });
  try {
    const admin = (await createToken(built.ctx.store, 'admin', 'a', Date.now())).token;
    await waitFor('a ready worker', async () => built.runner.ready === 1);
    const [victim] = (built.runner as unknown as { pids: number[] }).pids;
    const uids = ['1.2.826.0.1.78.1', '1.2.826.0.1.78.2', '1.2.826.0.1.78.3'];
    const { body, contentType } = stowBody(await Promise.all(uids.map((u) => smallDicom(u, 512))));
    const answer = await built.app.inject({
      method: 'POST',
      url: '/dicom-web/studies',
      payload: body,
      headers: { ...auth(admin), 'content-type': contentType },
    });
    assert.equal(answer.statusCode, 200);
    await waitFor(
      'a running job',
      async () => (await built.ctx.store.getInstance(uids[0]))?.state === 'running',
      10_000,
    );
    process.kill(victim, 'SIGKILL');
    await waitFor('all results', async () => {
      const states = await Promise.all(uids.map(async (u) => (await built.ctx.store.getInstance(u))?.state));
      return states.every((s) => s === 'done');
    });
    const [replacement] = (built.runner as unknown as { pids: number[] }).pids;
    assert.notEqual(replacement, victim);
    assert.equal(
      (await built.ctx.store.getInstance(uids[0]))?.workerDeaths,
      1,
      'the death is counted on the job it ran',
    );
  } finally {
    await built.app.close();
  }
});
