// The SQLite schema, as an ordered list of migrations. PRAGMA user_version records how many have run;
// each runs in its own transaction with the version bump, so a crash leaves the schema at a whole
// version. Append new migrations; never edit one that has shipped.
import type Database from 'better-sqlite3';

export const MIGRATIONS: readonly string[] = [
  `
  CREATE TABLE instances (
    uid TEXT PRIMARY KEY,
    study_uid TEXT, series_uid TEXT, sop_class_uid TEXT,
    patient_id TEXT, patient_name TEXT, patient_sex TEXT, patient_age REAL,
    study_date TEXT, modality TEXT, view_position TEXT,
    image_rows INTEGER NOT NULL, image_columns INTEGER NOT NULL,
    spacing_row REAL, spacing_column REAL,
    bits_allocated INTEGER NOT NULL, bits_stored INTEGER NOT NULL, pixel_representation INTEGER NOT NULL,
    photometric TEXT NOT NULL, transfer_syntax TEXT NOT NULL,
    window_center REAL, window_width REAL, rescale_slope REAL NOT NULL, rescale_intercept REAL NOT NULL,
    file TEXT NOT NULL, size_bytes INTEGER NOT NULL,
    received_at INTEGER NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('queued', 'running', 'done', 'failed')),
    worker_deaths INTEGER NOT NULL DEFAULT 0,
    claimed_by TEXT, claimed_at INTEGER, error TEXT
  );
  CREATE INDEX instances_queue ON instances (state, received_at);
  CREATE TABLE results (
    uid TEXT PRIMARY KEY REFERENCES instances (uid),
    probability REAL NOT NULL, decision INTEGER NOT NULL, segmented INTEGER NOT NULL,
    thresholds TEXT NOT NULL, rle TEXT NOT NULL,
    area_pixels INTEGER NOT NULL, area_cm2 REAL, bbox TEXT,
    mask_file TEXT, overlay_file TEXT NOT NULL,
    bundle_id TEXT NOT NULL, bundle_version TEXT NOT NULL,
    timings TEXT NOT NULL, finished_at INTEGER NOT NULL
  );
  CREATE TABLE reviews (
    uid TEXT PRIMARY KEY REFERENCES instances (uid),
    verdict TEXT NOT NULL CHECK (verdict IN ('agree', 'disagree')),
    note TEXT, mask_rle TEXT, reviewer TEXT NOT NULL, reviewed_at INTEGER NOT NULL
  );
  CREATE TABLE tokens (
    id TEXT PRIMARY KEY,
    hash TEXT NOT NULL UNIQUE,
    role TEXT NOT NULL CHECK (role IN ('uploader', 'reviewer', 'admin')),
    label TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    revoked_at INTEGER
  );
  `,
  // The reading room names the patient's study; the pneumothorax size grades results; who opened which
  // study is audited; a one-time login link opens a browser session.
  `
  ALTER TABLE instances ADD COLUMN accession_number TEXT;
  ALTER TABLE instances ADD COLUMN study_time TEXT;
  ALTER TABLE instances ADD COLUMN study_description TEXT;
  ALTER TABLE results ADD COLUMN size TEXT;
  ALTER TABLE results ADD COLUMN large INTEGER NOT NULL DEFAULT 0;
  CREATE TABLE audit_events (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    at INTEGER NOT NULL,
    token_id TEXT NOT NULL, actor TEXT NOT NULL, role TEXT NOT NULL,
    action TEXT NOT NULL,
    study_uid TEXT, instance_uid TEXT
  );
  CREATE INDEX audit_events_at ON audit_events (at);
  CREATE TABLE login_links (
    hash TEXT PRIMARY KEY,
    token_id TEXT NOT NULL REFERENCES tokens (id),
    created_at INTEGER NOT NULL, expires_at INTEGER NOT NULL,
    session_ms INTEGER NOT NULL,
    used_at INTEGER
  );
  CREATE TABLE sessions (
    hash TEXT PRIMARY KEY,
    token_id TEXT NOT NULL REFERENCES tokens (id),
    created_at INTEGER NOT NULL, expires_at INTEGER NOT NULL,
    ended_at INTEGER
  );
  `,
  // The probability a reader is shown is calibrated when the bundle has a calibration; the model's own
  // stays beside it (the thresholds are on that scale). Results stored before are uncalibrated.
  `
  ALTER TABLE results ADD COLUMN probability_uncalibrated REAL;
  ALTER TABLE results ADD COLUMN calibrated INTEGER NOT NULL DEFAULT 0;
  `,
  // Monitoring counts by station and manufacturer (the DICOM header's StationName and Manufacturer) and
  // by day of arrival; instances stored before are counted under "unknown".
  `
  ALTER TABLE instances ADD COLUMN station_name TEXT;
  ALTER TABLE instances ADD COLUMN manufacturer TEXT;
  CREATE INDEX instances_received ON instances (received_at);
  CREATE INDEX results_finished ON results (finished_at);
  `,
  // The input gate: an image outside what the model was made for is stored `not-assessed` with its
  // reasons (JSON array of codes) and the learned gate's score; results stored before were all assessed
  // with no gate.
  `
  ALTER TABLE results ADD COLUMN status TEXT NOT NULL DEFAULT 'assessed' CHECK (status IN ('assessed', 'not-assessed'));
  ALTER TABLE results ADD COLUMN gate_reasons TEXT NOT NULL DEFAULT '[]';
  ALTER TABLE results ADD COLUMN gate_notes TEXT NOT NULL DEFAULT '[]';
  ALTER TABLE results ADD COLUMN gate_enabled INTEGER NOT NULL DEFAULT 0;
  ALTER TABLE results ADD COLUMN ood_score REAL;
  ALTER TABLE results ADD COLUMN ood_threshold REAL;
  CREATE INDEX results_status ON results (status);
  `,
];

/** Brings the database to the latest schema; refuses one written by a newer pneumo. */
export function migrate(db: Database.Database, file: string): void {
  const version = db.pragma('user_version', { simple: true }) as number;
  if (version > MIGRATIONS.length)
    throw new Error(
      `${file}: schema version ${version} is newer than this pneumo knows (${MIGRATIONS.length}); upgrade pneumo`,
    );
  for (let v = version; v < MIGRATIONS.length; v++) {
    db.transaction(() => {
      db.exec(MIGRATIONS[v]);
      db.pragma(`user_version = ${v + 1}`);
    }).immediate();
  }
}
