// The Store on SQLite (better-sqlite3): one file under the store folder, WAL mode, so readers never
// wait for the writer and a killed process leaves a database that opens whole (the WAL is replayed or
// discarded by transaction). synchronous=NORMAL keeps every committed transaction across a process
// crash (kill -9); only a power cut can lose the last ones. One process owns the queue: on start-up
// every job left `running` goes back to `queued` (a shared PostgreSQL store would use leases instead).
import Database from 'better-sqlite3';
import type {
  AuditEvent,
  InsertOutcome,
  InstanceMeta,
  InstanceRecord,
  Job,
  JobState,
  MonitoringRow,
  ResultRecord,
  ReviewInput,
  RedeemedLink,
  ReviewRecord,
  Role,
  Store,
  TokenRecord,
  Verdict,
  WorklistQuery,
  WorklistRow,
  WorklistStatus,
} from './store.js';
import { migrate } from './migrations.js';

type Row = Record<string, unknown>;

const num = (v: unknown): number | null => (v === null || v === undefined ? null : Number(v));
const str = (v: unknown): string | null => (v === null || v === undefined ? null : String(v));

function spacingOf(r: Row): [number, number] | null {
  const row = num(r.spacing_row);
  const column = num(r.spacing_column);
  return row !== null && column !== null ? [row, column] : null;
}

function instanceFromRow(r: Row): InstanceRecord {
  return {
    uid: String(r.uid),
    studyUid: str(r.study_uid),
    seriesUid: str(r.series_uid),
    sopClassUid: str(r.sop_class_uid),
    patientId: str(r.patient_id),
    patientName: str(r.patient_name),
    patientSex: str(r.patient_sex),
    patientAge: num(r.patient_age),
    studyDate: str(r.study_date),
    studyTime: str(r.study_time),
    accessionNumber: str(r.accession_number),
    studyDescription: str(r.study_description),
    modality: str(r.modality),
    viewPosition: str(r.view_position),
    stationName: str(r.station_name),
    manufacturer: str(r.manufacturer),
    rows: Number(r.image_rows),
    columns: Number(r.image_columns),
    pixelSpacing: spacingOf(r),
    bitsAllocated: Number(r.bits_allocated),
    bitsStored: Number(r.bits_stored),
    pixelRepresentation: Number(r.pixel_representation),
    photometricInterpretation: String(r.photometric),
    transferSyntaxUid: String(r.transfer_syntax),
    windowCenter: num(r.window_center),
    windowWidth: num(r.window_width),
    rescaleSlope: Number(r.rescale_slope),
    rescaleIntercept: Number(r.rescale_intercept),
    file: String(r.file),
    sizeBytes: Number(r.size_bytes),
    receivedAt: Number(r.received_at),
    state: r.state as JobState,
    workerDeaths: Number(r.worker_deaths),
    error: str(r.error),
  };
}

function resultFromRow(r: Row, prefix = ''): ResultRecord {
  const get = (k: string) => r[prefix + k];
  return {
    uid: String(get('uid')),
    probability: Number(get('probability')),
    probabilityUncalibrated: num(get('probability_uncalibrated')) ?? Number(get('probability')),
    calibrated: Number(get('calibrated')) === 1,
    status: get('status') === 'not-assessed' ? 'not-assessed' : 'assessed',
    gate: {
      reasons: JSON.parse(String(get('gate_reasons') ?? '[]')) as string[],
      oodScore: num(get('ood_score')),
      threshold: num(get('ood_threshold')),
      notes: JSON.parse(String(get('gate_notes') ?? '[]')) as string[],
      enabled: Number(get('gate_enabled')) === 1,
    },
    decision: Number(get('decision')) === 1,
    segmented: Number(get('segmented')) === 1,
    thresholds: JSON.parse(String(get('thresholds'))),
    rle: String(get('rle')),
    areaPixels: Number(get('area_pixels')),
    areaCm2: num(get('area_cm2')),
    bbox: get('bbox') === null ? null : JSON.parse(String(get('bbox'))),
    size: get('size') === null || get('size') === undefined ? null : JSON.parse(String(get('size'))),
    maskFile: str(get('mask_file')),
    overlayFile: String(get('overlay_file')),
    bundleId: String(get('bundle_id')),
    bundleVersion: String(get('bundle_version')),
    timingsMs: JSON.parse(String(get('timings'))),
    finishedAt: Number(get('finished_at')),
  };
}

function reviewFromRow(r: Row, prefix = ''): ReviewRecord {
  const get = (k: string) => r[prefix + k];
  return {
    uid: String(get('uid')),
    verdict: get('verdict') as Verdict,
    note: str(get('note')),
    maskRle: str(get('mask_rle')),
    reviewer: String(get('reviewer')),
    reviewedAt: Number(get('reviewed_at')),
  };
}

function tokenFromRow(r: Row): TokenRecord {
  return {
    id: String(r.id),
    role: r.role as Role,
    label: String(r.label),
    createdAt: Number(r.created_at),
    revokedAt: num(r.revoked_at),
  };
}

const STATUS_FILTER: Record<WorklistStatus, string> = {
  pending: "i.state IN ('queued', 'running')",
  unreviewed: "i.state = 'done' AND v.uid IS NULL AND r.status = 'assessed'",
  'not-assessed': "i.state = 'done' AND v.uid IS NULL AND r.status = 'not-assessed'",
  reviewed: 'v.uid IS NOT NULL',
  failed: "i.state = 'failed'",
  all: '1',
};

const RESULT_COLUMNS = [
  'uid',
  'probability',
  'probability_uncalibrated',
  'calibrated',
  'status',
  'gate_reasons',
  'gate_notes',
  'gate_enabled',
  'ood_score',
  'ood_threshold',
  'decision',
  'segmented',
  'thresholds',
  'rle',
  'area_pixels',
  'area_cm2',
  'bbox',
  'size',
  'mask_file',
  'overlay_file',
  'bundle_id',
  'bundle_version',
  'timings',
  'finished_at',
];
const REVIEW_COLUMNS = ['uid', 'verdict', 'note', 'mask_rle', 'reviewer', 'reviewed_at'];
const prefixed = (table: string, columns: string[], prefix: string) =>
  columns.map((c) => `${table}.${c} AS ${prefix}${c}`).join(', ');

/**
 * The worklist order (docs/serve.md, "Worklist priority"): tier 0 holds unreviewed instances that have
 * waited past the limit, oldest first; tier 1 the positives graded large (ACCP or BTS), tier 2 the
 * other positives, tier 3 everything else, each by probability (highest first; no result yet counts
 * as -1), then arrival, then UID.
 */
function worklistSql(status: WorklistStatus, paged: boolean): string {
  const escalated = 'v.uid IS NULL AND i.received_at <= @cutoff';
  return `
    SELECT * FROM (
      SELECT i.*, ${prefixed('r', RESULT_COLUMNS, 'r_')}, ${prefixed('v', REVIEW_COLUMNS, 'v_')},
        CASE WHEN ${escalated} THEN 0 WHEN r.decision = 1 AND r.large = 1 THEN 1 WHEN r.decision = 1 THEN 2 ELSE 3 END
          AS tier,
        CASE WHEN ${escalated} OR r.status = 'not-assessed' THEN 0 ELSE -COALESCE(r.probability, -1) END AS sort_key
      FROM instances i LEFT JOIN results r ON r.uid = i.uid LEFT JOIN reviews v ON v.uid = i.uid
      WHERE ${STATUS_FILTER[status]}
    )
    ${paged ? 'WHERE (tier, sort_key, received_at, uid) > (@tier, @key, @receivedAt, @uid)' : ''}
    ORDER BY tier, sort_key, received_at, uid
    LIMIT @limit`;
}

/** What monitoring selects of an instance, its result (with the input gate's status and OOD score) and its review. */
const MONITORING_SELECT = `SELECT i.received_at, i.state, i.station_name, i.manufacturer, r.finished_at,
      COALESCE(r.probability_uncalibrated, r.probability) AS probability, r.decision,
      CASE WHEN r.uid IS NULL THEN 1 ELSE (r.status <> 'not-assessed') END AS assessed, r.ood_score, v.verdict
    FROM instances i LEFT JOIN results r ON r.uid = i.uid LEFT JOIN reviews v ON v.uid = i.uid`;

function monitoringRowFrom(r: Row): MonitoringRow {
  return {
    receivedAt: Number(r.received_at),
    state: r.state as JobState,
    stationName: str(r.station_name),
    manufacturer: str(r.manufacturer),
    finishedAt: num(r.finished_at),
    probability: num(r.probability),
    decision: r.decision === null || r.decision === undefined ? null : Number(r.decision) === 1,
    assessed: Number(r.assessed) === 1,
    oodScore: num(r.ood_score),
    verdict: (r.verdict ?? null) as Verdict | null,
  };
}

export interface SqliteStoreOptions {
  /** Milliseconds a writer waits for the lock (another process, e.g. `pneumo serve token create`). */
  busyTimeoutMs?: number;
}

export class SqliteStore implements Store {
  private readonly db: Database.Database;
  private readonly statements: Map<string, Database.Statement> = new Map();

  constructor(
    readonly file: string,
    options: SqliteStoreOptions = {},
  ) {
    this.db = new Database(file, { timeout: options.busyTimeoutMs ?? 5000 });
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = NORMAL');
    this.db.pragma('foreign_keys = ON');
    migrate(this.db, file);
  }

  private prepare(sql: string): Database.Statement {
    let statement = this.statements.get(sql);
    if (!statement) {
      statement = this.db.prepare(sql);
      this.statements.set(sql, statement);
    }
    return statement;
  }

  /** The integrity check's answer: 'ok' for a sound database. */
  integrityCheck(): string {
    return String(this.db.pragma('integrity_check', { simple: true }));
  }

  async insertInstance(m: InstanceMeta, file: string, sizeBytes: number, receivedAt: number): Promise<InsertOutcome> {
    const info = this.prepare(
      `INSERT OR IGNORE INTO instances (uid, study_uid, series_uid, sop_class_uid, patient_id, patient_name,
        patient_sex, patient_age, study_date, study_time, accession_number, study_description, modality,
        view_position, station_name, manufacturer, image_rows, image_columns, spacing_row, spacing_column, bits_allocated, bits_stored,
        pixel_representation, photometric, transfer_syntax, window_center, window_width, rescale_slope,
        rescale_intercept, file, size_bytes, received_at, state)
       VALUES (@uid, @studyUid, @seriesUid, @sopClassUid, @patientId, @patientName, @patientSex, @patientAge,
        @studyDate, @studyTime, @accessionNumber, @studyDescription, @modality, @viewPosition, @stationName, @manufacturer, @rows, @columns,
        @spacingRow, @spacingColumn, @bitsAllocated, @bitsStored, @pixelRepresentation,
        @photometricInterpretation, @transferSyntaxUid, @windowCenter, @windowWidth, @rescaleSlope,
        @rescaleIntercept, @file, @sizeBytes, @receivedAt, 'queued')`,
    ).run({
      ...m,
      studyTime: m.studyTime ?? null,
      accessionNumber: m.accessionNumber ?? null,
      studyDescription: m.studyDescription ?? null,
      stationName: m.stationName ?? null,
      manufacturer: m.manufacturer ?? null,
      pixelSpacing: undefined,
      spacingRow: m.pixelSpacing?.[0] ?? null,
      spacingColumn: m.pixelSpacing?.[1] ?? null,
      file,
      sizeBytes,
      receivedAt,
    });
    return info.changes === 1 ? 'stored' : 'duplicate';
  }

  async hasInstance(uid: string): Promise<boolean> {
    return this.prepare('SELECT 1 FROM instances WHERE uid = ?').get(uid) !== undefined;
  }

  async getInstance(uid: string): Promise<InstanceRecord | null> {
    const row = this.prepare('SELECT * FROM instances WHERE uid = ?').get(uid) as Row | undefined;
    return row ? instanceFromRow(row) : null;
  }

  async queueDepth(): Promise<number> {
    const row = this.prepare("SELECT count(*) AS n FROM instances WHERE state IN ('queued', 'running')").get() as Row;
    return Number(row.n);
  }

  async claimJob(worker: string, now: number): Promise<Job | null> {
    const row = this.prepare(
      `UPDATE instances SET state = 'running', claimed_by = ?, claimed_at = ?
       WHERE uid = (SELECT uid FROM instances WHERE state = 'queued' ORDER BY received_at, uid LIMIT 1)
       RETURNING uid, file, worker_deaths, received_at, spacing_row, spacing_column`,
    ).get(worker, now) as Row | undefined;
    if (!row) return null;
    return {
      uid: String(row.uid),
      file: String(row.file),
      workerDeaths: Number(row.worker_deaths),
      receivedAt: Number(row.received_at),
      pixelSpacing: spacingOf(row),
    };
  }

  async completeJob(result: ResultRecord): Promise<void> {
    this.db
      .transaction(() => {
        this.prepare(
          `INSERT OR REPLACE INTO results (uid, probability, probability_uncalibrated, calibrated, status, gate_reasons,
            gate_notes, gate_enabled, ood_score, ood_threshold, decision, segmented,
            thresholds, rle, area_pixels, area_cm2, bbox, size, large, mask_file, overlay_file, bundle_id,
            bundle_version, timings, finished_at)
           VALUES (@uid, @probability, @probabilityUncalibrated, @calibrated, @status, @gateReasons, @gateNotes,
            @gateEnabled, @oodScore, @oodThreshold, @decision, @segmented, @thresholds,
            @rle, @areaPixels, @areaCm2, @bbox, @size, @large, @maskFile, @overlayFile, @bundleId, @bundleVersion,
            @timings, @finishedAt)`,
        ).run({
          ...result,
          gate: undefined,
          gateReasons: JSON.stringify(result.gate.reasons),
          gateNotes: JSON.stringify(result.gate.notes),
          gateEnabled: result.gate.enabled ? 1 : 0,
          oodScore: result.gate.oodScore,
          oodThreshold: result.gate.threshold,
          size: result.size ? JSON.stringify(result.size) : null,
          large: result.size?.large ? 1 : 0,
          calibrated: result.calibrated ? 1 : 0,
          decision: result.decision ? 1 : 0,
          segmented: result.segmented ? 1 : 0,
          thresholds: JSON.stringify(result.thresholds),
          bbox: result.bbox ? JSON.stringify(result.bbox) : null,
          timings: JSON.stringify(result.timingsMs),
          timingsMs: undefined,
        });
        this.prepare("UPDATE instances SET state = 'done', error = NULL, claimed_by = NULL WHERE uid = ?").run(
          result.uid,
        );
      })
      .immediate();
  }

  async failJob(uid: string, reason: string, now: number): Promise<void> {
    this.prepare(
      "UPDATE instances SET state = 'failed', error = ?, claimed_by = NULL, claimed_at = ? WHERE uid = ?",
    ).run(reason, now, uid);
  }

  async releaseJob(uid: string, workerDied: boolean): Promise<void> {
    this.prepare(
      `UPDATE instances SET state = 'queued', claimed_by = NULL, worker_deaths = worker_deaths + ?
       WHERE uid = ? AND state = 'running'`,
    ).run(workerDied ? 1 : 0, uid);
  }

  async requeueAbandoned(): Promise<number> {
    return this.prepare("UPDATE instances SET state = 'queued', claimed_by = NULL WHERE state = 'running'").run()
      .changes;
  }

  async getResult(uid: string): Promise<ResultRecord | null> {
    const row = this.prepare('SELECT * FROM results WHERE uid = ?').get(uid) as Row | undefined;
    return row ? resultFromRow(row) : null;
  }

  async worklist(query: WorklistQuery): Promise<WorklistRow[]> {
    const rows = this.prepare(worklistSql(query.status, query.after !== null)).all({
      cutoff: query.escalateReceivedBefore,
      limit: query.limit,
      ...(query.after
        ? { tier: query.after.tier, key: query.after.key, receivedAt: query.after.receivedAt, uid: query.after.uid }
        : {}),
    }) as Row[];
    return rows.map((r) => ({
      instance: instanceFromRow(r),
      result: r.r_uid === null ? null : resultFromRow(r, 'r_'),
      review: r.v_uid === null ? null : reviewFromRow(r, 'v_'),
      position: {
        tier: Number(r.tier),
        key: Number(r.sort_key),
        receivedAt: Number(r.received_at),
        uid: String(r.uid),
      },
    }));
  }

  async monitoringRows(from: number, to: number): Promise<MonitoringRow[]> {
    const sql = `${MONITORING_SELECT} WHERE i.received_at >= ? AND i.received_at < ? ORDER BY i.received_at, i.uid`;
    return (this.prepare(sql).all(from, to) as Row[]).map(monitoringRowFrom);
  }

  async recentResults(limit: number): Promise<MonitoringRow[]> {
    const sql = `${MONITORING_SELECT} WHERE r.uid IS NOT NULL ORDER BY r.finished_at DESC, i.uid DESC LIMIT ?`;
    return (this.prepare(sql).all(limit) as Row[]).map(monitoringRowFrom);
  }

  async putReview(review: ReviewInput): Promise<void> {
    this.prepare(
      `INSERT OR REPLACE INTO reviews (uid, verdict, note, mask_rle, reviewer, reviewed_at)
       VALUES (@uid, @verdict, @note, @maskRle, @reviewer, @reviewedAt)`,
    ).run(review);
  }

  async getReview(uid: string): Promise<ReviewRecord | null> {
    const row = this.prepare('SELECT * FROM reviews WHERE uid = ?').get(uid) as Row | undefined;
    return row ? reviewFromRow(row) : null;
  }

  async reviewedCases(): Promise<{ review: ReviewRecord; result: ResultRecord; instance: InstanceRecord }[]> {
    const rows = this.prepare(
      `SELECT i.*, ${prefixed('r', RESULT_COLUMNS, 'r_')}, ${prefixed('v', REVIEW_COLUMNS, 'v_')}
       FROM reviews v JOIN instances i ON i.uid = v.uid JOIN results r ON r.uid = v.uid
       ORDER BY v.reviewed_at, v.uid`,
    ).all() as Row[];
    return rows.map((r) => ({
      instance: instanceFromRow(r),
      result: resultFromRow(r, 'r_'),
      review: reviewFromRow(r, 'v_'),
    }));
  }

  async addToken(id: string, hash: string, role: Role, label: string, createdAt: number): Promise<void> {
    this.prepare('INSERT INTO tokens (id, hash, role, label, created_at) VALUES (?, ?, ?, ?, ?)').run(
      id,
      hash,
      role,
      label,
      createdAt,
    );
  }

  async tokenByHash(hash: string): Promise<TokenRecord | null> {
    const row = this.prepare('SELECT * FROM tokens WHERE hash = ?').get(hash) as Row | undefined;
    return row ? tokenFromRow(row) : null;
  }

  async listTokens(): Promise<TokenRecord[]> {
    return (this.prepare('SELECT * FROM tokens ORDER BY created_at, id').all() as Row[]).map(tokenFromRow);
  }

  async revokeToken(id: string, now: number): Promise<boolean> {
    return (
      this.prepare('UPDATE tokens SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL').run(now, id).changes === 1
    );
  }

  async recordAudit(e: AuditEvent): Promise<void> {
    this.prepare(
      `INSERT INTO audit_events (at, token_id, actor, role, action, study_uid, instance_uid)
       VALUES (@at, @tokenId, @actor, @role, @action, @studyUid, @instanceUid)`,
    ).run(e);
  }

  async auditEvents(limit: number): Promise<(AuditEvent & { id: number })[]> {
    const rows = this.prepare('SELECT * FROM audit_events ORDER BY id DESC LIMIT ?').all(limit) as Row[];
    return rows.map((r) => ({
      id: Number(r.id),
      at: Number(r.at),
      tokenId: String(r.token_id),
      actor: String(r.actor),
      role: r.role as Role,
      action: r.action as AuditEvent['action'],
      studyUid: str(r.study_uid),
      instanceUid: str(r.instance_uid),
    }));
  }

  async addLoginLink(hash: string, tokenId: string, createdAt: number, expiresAt: number, sessionMs: number) {
    this.prepare(
      'INSERT INTO login_links (hash, token_id, created_at, expires_at, session_ms) VALUES (?, ?, ?, ?, ?)',
    ).run(hash, tokenId, createdAt, expiresAt, sessionMs);
  }

  async redeemLoginLink(hash: string, now: number): Promise<RedeemedLink | null> {
    const row = this.prepare(
      `UPDATE login_links SET used_at = ? WHERE hash = ? AND used_at IS NULL AND expires_at > ?
       RETURNING token_id, session_ms`,
    ).get(now, hash, now) as Row | undefined;
    return row ? { tokenId: String(row.token_id), sessionMs: Number(row.session_ms) } : null;
  }

  async addSession(hash: string, tokenId: string, createdAt: number, expiresAt: number): Promise<void> {
    this.prepare('INSERT INTO sessions (hash, token_id, created_at, expires_at) VALUES (?, ?, ?, ?)').run(
      hash,
      tokenId,
      createdAt,
      expiresAt,
    );
  }

  async sessionToken(hash: string, now: number): Promise<(TokenRecord & { sessionExpiresAt: number }) | null> {
    const row = this.prepare(
      `SELECT t.*, s.expires_at AS session_expires_at FROM sessions s JOIN tokens t ON t.id = s.token_id
       WHERE s.hash = ? AND s.ended_at IS NULL AND s.expires_at > ? AND t.revoked_at IS NULL`,
    ).get(hash, now) as Row | undefined;
    return row ? { ...tokenFromRow(row), sessionExpiresAt: Number(row.session_expires_at) } : null;
  }

  async endSession(hash: string, now: number): Promise<void> {
    this.prepare('UPDATE sessions SET ended_at = ? WHERE hash = ? AND ended_at IS NULL').run(now, hash);
  }

  async ping(): Promise<void> {
    this.prepare('SELECT 1').get();
  }

  async close(): Promise<void> {
    this.db.close();
  }
}
