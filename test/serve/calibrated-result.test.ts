// A result keeps the calibrated probability a reader is shown and the model's own beside it; a
// database made before the calibration columns existed migrates, its results reading as uncalibrated.
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

const root = mkdtempSync(path.join(tmpdir(), 'pneumo-calibrated-result-'));
test.after(() => rmSync(root, { recursive: true, force: true }));

const meta = (uid: string) => instanceMeta(uid, { pixelSpacing: null });

const result = (uid: string): ResultRecord =>
  resultRecord(uid, {
    probability: 2 / 3,
    probabilityUncalibrated: 0.8,
    calibrated: true,
    decision: true,
    segmented: true,
    rle: '1 2',
    areaPixels: 2,
  });

test('calibrated and uncalibrated probabilities round-trip; older results read as uncalibrated', async () => {
  const file = path.join(root, 'old.sqlite');
  // A database at the first schema version, with one result.
  const db = new Database(file);
  db.exec(MIGRATIONS[0]);
  db.pragma('user_version = 1');
  db.close();
  const store = new SqliteStore(file);
  await store.insertInstance(meta('1.2.3'), 'a', 1, 1);
  await store.claimJob('w', 2);
  await store.completeJob(result('1.2.3'));
  const back = await store.getResult('1.2.3');
  assert.deepEqual([back?.probability, back?.probabilityUncalibrated, back?.calibrated], [2 / 3, 0.8, true]);
  await store.insertInstance(meta('1.2.4'), 'b', 1, 3);
  await store.claimJob('w', 4);
  await store.completeJob({ ...result('1.2.4'), probability: 0.3, probabilityUncalibrated: 0.3, calibrated: false });
  await store.close();
  // A row as the migration leaves one written before the columns: no model probability of its own.
  const raw = new Database(file);
  raw.prepare('UPDATE results SET probability_uncalibrated = NULL WHERE uid = ?').run('1.2.4');
  raw.close();
  const reopened = new SqliteStore(file);
  const old = await reopened.getResult('1.2.4');
  assert.deepEqual([old?.probability, old?.probabilityUncalibrated, old?.calibrated], [0.3, 0.3, false]);
  await reopened.close();
});
