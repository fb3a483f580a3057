// The store's side of monitoring: a database of the schema before it migrates (its instances have no
// station), new instances keep their station and manufacturer, rows come back by arrival and recent
// results by finish time; the input gate's `status` and `ood_score` columns are read when the schema has them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { MIGRATIONS } from '../../src/serve/store/migrations.js';
import { SqliteStore } from '../../src/serve/store/sqlite-store.js';
import type { ResultRecord } from '../../src/serve/store/store.js';
import { instanceMeta } from './instance-meta.js';
import { resultRecord } from './result-record.js';

const root = mkdtempSync(path.join(tmpdir(), 'pneumo-monitoring-store-'));
test.after(() => rmSync(root, { recursive: true, force: true }));

const result = (uid: string, finishedAt: number, probability: number): ResultRecord =>
  resultRecord(uid, {
    probability: probability / 2,
    probabilityUncalibrated: probability,
    calibrated: true,
    decision: probability > 0.5,
    segmented: true,
    finishedAt,
  });

async function addDone(
  store: SqliteStore,
  uid: string,
  receivedAt: number,
  finishedAt: number,
  p: number,
  station?: string,
) {
  await store.insertInstance(
    instanceMeta(uid, station ? { stationName: station, manufacturer: 'Acme' } : {}),
    `${uid}.dcm`,
    1,
    receivedAt,
  );
  await store.claimJob('w', receivedAt);
  await store.completeJob(result(uid, finishedAt, p));
}

test('an older database migrates; rows by arrival with station, model probability and review; recent by finish', async () => {
  const file = path.join(root, 'old.sqlite');
  const db = new Database(file);
  for (const m of MIGRATIONS.slice(0, MIGRATIONS.length - 1)) db.exec(m);
  db.pragma(`user_version = ${MIGRATIONS.length - 1}`);
  db.close();
  const store = new SqliteStore(file);
  await addDone(store, '1.1', 100, 500, 0.9, 'CHEST-1');
  await addDone(store, '1.2', 200, 300, 0.2);
  await store.insertInstance(instanceMeta('1.3'), '1.3.dcm', 1, 300);
  await store.putReview({ uid: '1.1', verdict: 'agree', note: null, maskRle: null, reviewer: 'r', reviewedAt: 600 });
  const rows = await store.monitoringRows(0, 1000);
  assert.deepEqual(
    rows.map((r) => [r.receivedAt, r.stationName, r.manufacturer, r.probability, r.decision, r.verdict, r.state]),
    [
      [100, 'CHEST-1', 'Acme', 0.9, true, 'agree', 'done'],
      [200, null, null, 0.2, false, null, 'done'],
      [300, null, null, null, null, null, 'queued'],
    ],
  );
  assert.ok(
    rows.every((r) => r.assessed && r.oodScore === null),
    'no gate columns: assessed, no OOD score',
  );
  assert.deepEqual(
    (await store.monitoringRows(150, 300)).map((r) => r.receivedAt),
    [200],
    'from inclusive, to exclusive',
  );
  assert.deepEqual(
    (await store.recentResults(5)).map((r) => r.finishedAt),
    [500, 300],
    'results only, newest first',
  );
  assert.equal((await store.getInstance('1.1'))?.stationName, 'CHEST-1');
  await store.close();
});

test("the input gate's status and OOD score reach monitoring", async () => {
  const file = path.join(root, 'gated.sqlite');
  let store = new SqliteStore(file);
  await addDone(store, '2.1', 100, 200, 0.7);
  await addDone(store, '2.2', 110, 210, 0.3);
  await store.close();
  const db = new Database(file);
  db.prepare('UPDATE results SET status = ?, ood_score = ? WHERE uid = ?').run('not-assessed', 41.5, '2.1');
  db.prepare('UPDATE results SET status = ?, ood_score = ? WHERE uid = ?').run('assessed', 3.25, '2.2');
  db.close();
  store = new SqliteStore(file);
  const rows = await store.monitoringRows(0, 1000);
  assert.deepEqual(
    rows.map((r) => [r.assessed, r.oodScore]),
    [
      [false, 41.5],
      [true, 3.25],
    ],
  );
  await store.close();
});
