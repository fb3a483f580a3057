import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { SqliteStore } from '../../src/serve/store/sqlite-store.js';
import { MIGRATIONS } from '../../src/serve/store/migrations.js';
import type { ResultRecord } from '../../src/serve/store/store.js';
import { instanceMeta } from './instance-meta.js';
import { createToken, hashToken, verifyToken } from '../../src/serve/auth/tokens.js';
import {
  createLoginLink,
  endSession,
  openSession,
  sessionCookie,
  verifySession,
} from '../../src/serve/auth/login-links.js';
import { resultRecord } from './result-record.js';

const root = mkdtempSync(path.join(tmpdir(), 'pneumo-store-'));
test.after(() => rmSync(root, { recursive: true, force: true }));

test('queue: oldest first, claimed once, duplicates kept once, abandoned jobs requeued after reopening', async () => {
  const file = path.join(root, 'q.sqlite');
  const store = new SqliteStore(file);
  assert.equal(await store.insertInstance(instanceMeta('1.2.2'), 'a', 1, 200), 'stored');
  assert.equal(await store.insertInstance(instanceMeta('1.2.1'), 'b', 1, 100), 'stored');
  assert.equal(await store.insertInstance(instanceMeta('1.2.1'), 'b', 1, 300), 'duplicate');
  assert.equal(await store.queueDepth(), 2);
  const first = await store.claimJob('w', 400);
  assert.equal(first?.uid, '1.2.1', 'the oldest arrival first');
  assert.deepEqual(first?.pixelSpacing, [0.2, 0.3]);
  assert.equal((await store.claimJob('w', 401))?.uid, '1.2.2');
  assert.equal(await store.claimJob('w', 402), null, 'nothing left to claim');
  await store.releaseJob('1.2.2', true);
  assert.equal((await store.getInstance('1.2.2'))?.workerDeaths, 1);
  await store.close();
  // A process that held running jobs is gone: reopening and requeueing gives them back.
  const reopened = new SqliteStore(file);
  assert.equal(await reopened.requeueAbandoned(), 1);
  assert.equal((await reopened.getInstance('1.2.1'))?.state, 'queued');
  assert.equal(reopened.integrityCheck(), 'ok');
  await reopened.close();
});

test('tokens: only the hash is stored; unknown, malformed and revoked tokens do not verify', async () => {
  const store = new SqliteStore(path.join(root, 't.sqlite'));
  const { token, record } = await createToken(store, 'reviewer', 'dr. a', 5);
  assert.match(token, /^pneumo_[A-Za-z0-9_-]{43}$/);
  const listed = await store.listTokens();
  assert.equal(JSON.stringify(listed).includes(token), false, 'the secret is not stored');
  assert.equal((await store.tokenByHash(hashToken(token)))?.id, record.id);
  assert.equal((await verifyToken(store, token))?.role, 'reviewer');
  assert.equal(await verifyToken(store, token + 'x'), null);
  assert.equal(await verifyToken(store, 'Basic abc'), null);
  assert.equal(await store.revokeToken(record.id, 9), true);
  assert.equal(await verifyToken(store, token), null);
  await store.close();
});

function result(uid: string, probability: number, large: boolean | null): ResultRecord {
  const side = {
    half: 'image-left' as const,
    apexToCupola: { column: 1, top: 0, bottom: 1, mm: 1 },
    interpleural: null,
  };
  return resultRecord(uid, {
    probability,
    probabilityUncalibrated: probability,
    decision: probability >= 0.5,
    segmented: true,
    size:
      large === null
        ? null
        : {
            sides: [side],
            hilumRow: 3,
            apexToCupolaMm: large ? 35 : 10,
            interpleuralMm: 0,
            largeAccp: large,
            largeBts: false,
            large,
          },
    bundleVersion: 'v',
    finishedAt: 1,
  });
}

test('worklist: a large pneumothorax (ACCP or BTS) comes before every other positive, below the overdue', async () => {
  const store = new SqliteStore(path.join(root, 'w.sqlite'));
  const cases: [string, number, boolean | null, number][] = [
    ['1.3.1', 0.99, false, 100], // positive, small
    ['1.3.2', 0.6, true, 100], // positive, large: first among the not overdue
    ['1.3.3', 0.95, null, 100], // positive, no spacing
    ['1.3.4', 0.2, null, 100], // negative
    ['1.3.5', 0.1, null, 10], // negative, overdue
  ];
  for (const [uid, p, large, at] of cases) {
    await store.insertInstance(instanceMeta(uid), uid, 1, at);
    await store.claimJob('w', at);
    await store.completeJob(result(uid, p, large));
  }
  const rows = await store.worklist({ status: 'all', limit: 10, escalateReceivedBefore: 50, after: null });
  assert.deepEqual(
    rows.map((r) => r.instance.uid),
    ['1.3.5', '1.3.2', '1.3.1', '1.3.3', '1.3.4'],
  );
  assert.equal(rows[1].result?.size?.apexToCupolaMm, 35, 'the size is kept with the result');
  await store.close();
});

test('audit events, one-time login links and sessions that expire or end', async () => {
  const store = new SqliteStore(path.join(root, 'a.sqlite'));
  const { record } = await createToken(store, 'reviewer', 'dr. b', 5);
  await store.recordAudit({
    at: 7,
    tokenId: record.id,
    actor: 'dr. b',
    role: 'reviewer',
    action: 'open',
    studyUid: '1.9',
    instanceUid: '1.9.1',
  });
  assert.deepEqual(
    (await store.auditEvents(10)).map((e) => [e.at, e.actor, e.action, e.studyUid, e.instanceUid]),
    [[7, 'dr. b', 'open', '1.9', '1.9.1']],
  );
  const link = await createLoginLink(store, record.id, 'http://reading-room:8080/', 1000, 10_000);
  assert.match(link.url, /^http:\/\/reading-room:8080\/#\/login\/pneumo_login_[A-Za-z0-9_-]{43}$/);
  const code = link.url.split('/').at(-1)!;
  assert.equal(await openSession(store, code, link.expiresAt), null, 'an expired link opens nothing');
  const session = await openSession(store, code, 2000);
  assert.ok(session);
  assert.equal(session.expiresAt, 12_000);
  assert.equal(await openSession(store, code, 2001), null, 'a link works once');
  assert.equal((await verifySession(store, session.secret, 11_999))?.label, 'dr. b');
  assert.equal(await verifySession(store, session.secret, 12_000), null, 'expired');
  await endSession(store, session.secret, 3000);
  assert.equal(await verifySession(store, session.secret, 3001), null, 'ended');
  assert.equal(sessionCookie(`a=b; pneumo_session=${session.secret}; c=d`), session.secret);
  await store.close();
});

test('a version-1 store migrates: its rows keep, the new columns are empty', async () => {
  const file = path.join(root, 'm.sqlite');
  const db = new Database(file);
  db.exec(MIGRATIONS[0]);
  db.pragma('user_version = 1');
  db.prepare(
    `INSERT INTO instances (uid, image_rows, image_columns, bits_allocated, bits_stored, pixel_representation,
      photometric, transfer_syntax, rescale_slope, rescale_intercept, file, size_bytes, received_at, state)
     VALUES ('1.4.1', 8, 8, 8, 8, 0, 'MONOCHROME2', '1.2.840.10008.1.2.1', 1, 0, 'f', 1, 5, 'queued')`,
  ).run();
  db.close();
  const store = new SqliteStore(file);
  const instance = await store.getInstance('1.4.1');
  assert.equal(instance?.receivedAt, 5);
  assert.deepEqual([instance?.accessionNumber, instance?.studyTime, instance?.studyDescription], [null, null, null]);
  await store.close();
});
