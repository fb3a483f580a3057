import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { SqliteStore } from '../../src/serve/store/sqlite-store.js';
import type { InstanceMeta } from '../../src/serve/store/store.js';
import { createToken, hashToken, verifyToken } from '../../src/serve/auth/tokens.js';

const root = mkdtempSync(path.join(tmpdir(), 'pneumo-store-'));
test.after(() => rmSync(root, { recursive: true, force: true }));

function meta(uid: string): InstanceMeta {
  return {
    uid,
    studyUid: null,
    seriesUid: null,
    sopClassUid: null,
    patientId: 'P',
    patientName: 'N',
    patientSex: 'F',
    patientAge: 50,
    studyDate: null,
    modality: 'CR',
    viewPosition: 'PA',
    rows: 8,
    columns: 8,
    pixelSpacing: [0.2, 0.3],
    bitsAllocated: 8,
    bitsStored: 8,
    pixelRepresentation: 0,
    photometricInterpretation: 'MONOCHROME2',
    transferSyntaxUid: '1.2.840.10008.1.2.1',
    windowCenter: null,
    windowWidth: null,
    rescaleSlope: 1,
    rescaleIntercept: 0,
  };
}

test('queue: oldest first, claimed once, duplicates kept once, abandoned jobs requeued after reopening', async () => {
  const file = path.join(root, 'q.sqlite');
  const store = new SqliteStore(file);
  assert.equal(await store.insertInstance(meta('1.2.2'), 'a', 1, 200), 'stored');
  assert.equal(await store.insertInstance(meta('1.2.1'), 'b', 1, 100), 'stored');
  assert.equal(await store.insertInstance(meta('1.2.1'), 'b', 1, 300), 'duplicate');
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
