// The input gate in the store (migration 4): a not-assessed result round-trips with its reasons and
// score, the worklist gives it its own filter and keeps it out of `unreviewed`; results written at
// schema version 3 read back as assessed, with the gate off.
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

const root = mkdtempSync(path.join(tmpdir(), 'pneumo-gate-result-'));
test.after(() => rmSync(root, { recursive: true, force: true }));

const result = (uid: string, refused: boolean): ResultRecord =>
  resultRecord(uid, {
    status: refused ? 'not-assessed' : 'assessed',
    gate: refused
      ? {
          reasons: ['lateral-view:LL', 'out-of-distribution'],
          oodScore: 31.5,
          threshold: 9.25,
          notes: [],
          enabled: true,
        }
      : { reasons: [], oodScore: 4.5, threshold: 9.25, notes: ['no patient age'], enabled: true },
  });

const query = (status: 'unreviewed' | 'not-assessed' | 'all') => ({
  status,
  limit: 10,
  escalateReceivedBefore: 0,
  after: null,
});

test('a not-assessed result keeps its gate; the worklist filters it apart; version-3 results read as assessed', async () => {
  const file = path.join(root, 'v3.sqlite');
  const db = new Database(file);
  for (const migration of MIGRATIONS.slice(0, 3)) db.exec(migration);
  db.pragma('user_version = 3');
  db.exec(`INSERT INTO instances (uid, image_rows, image_columns, bits_allocated, bits_stored, pixel_representation,
    photometric, transfer_syntax, rescale_slope, rescale_intercept, file, size_bytes, received_at, state)
    VALUES ('1.2.0', 8, 8, 8, 8, 0, 'MONOCHROME2', '1.2.840.10008.1.2.1', 1, 0, 'f', 1, 1, 'done')`);
  db.exec(`INSERT INTO results (uid, probability, decision, segmented, thresholds, rle, area_pixels, overlay_file,
    bundle_id, bundle_version, timings, finished_at) VALUES ('1.2.0', 0.7, 1, 1, '{}', '-1', 0, 'o.png', 'b', '1', '{}', 2)`);
  db.close();
  const store = new SqliteStore(file);
  const old = await store.getResult('1.2.0');
  assert.equal(old?.status, 'assessed');
  assert.deepEqual(old?.gate, { reasons: [], oodScore: null, threshold: null, notes: [], enabled: false });
  for (const [uid, refused] of [
    ['1.2.1', true],
    ['1.2.2', false],
  ] as const) {
    await store.insertInstance(instanceMeta(uid), uid, 1, 5);
    await store.claimJob('w', 6);
    await store.completeJob(result(uid, refused));
  }
  const refused = await store.getResult('1.2.1');
  assert.equal(refused?.status, 'not-assessed');
  assert.deepEqual(refused?.gate, result('1.2.1', true).gate);
  assert.deepEqual((await store.getResult('1.2.2'))?.gate, result('1.2.2', false).gate);
  const uids = async (status: 'unreviewed' | 'not-assessed' | 'all') =>
    (await store.worklist(query(status))).map((row) => row.instance.uid);
  assert.deepEqual(await uids('not-assessed'), ['1.2.1']);
  assert.deepEqual((await uids('unreviewed')).sort(), ['1.2.0', '1.2.2']);
  assert.equal((await uids('all')).length, 3);
  await store.close();
});
