// The one interface between the service and its state (ARCHITECTURE.md, "Service"): instances as they
// arrive, the inference queue (the instances' own state column: the database is the queue), results,
// reviews, tokens, browser sessions and the audit log. SQLite implements it today (sqlite-store.ts); every method is async so that a
// PostgreSQL implementation, shared by several service instances, fits the same shape.

import type { PneumothoraxSize } from '../../pipeline/pneumothorax-size.js';
import type { AssessmentStatus, GateOutcome } from '../../pipeline/input-gate.js';

export type Role = 'uploader' | 'reviewer' | 'admin';
export const ROLES: readonly Role[] = ['uploader', 'reviewer', 'admin'];

/** Where an instance is in the pipeline. `running` rows left behind by a killed process go back to `queued`. */
export type JobState = 'queued' | 'running' | 'done' | 'failed';

/** What the service keeps of an uploaded DICOM's header (the file itself is kept whole beside the database). */
export interface InstanceMeta {
  uid: string;
  studyUid: string | null;
  seriesUid: string | null;
  sopClassUid: string | null;
  /** Identifying attributes: stored for the reading room, never logged. */
  patientId: string | null;
  patientName: string | null;
  patientSex: string | null;
  patientAge: number | null;
  studyDate: string | null;
  /** DICOM TM, as the file gives it. */
  studyTime: string | null;
  accessionNumber: string | null;
  studyDescription: string | null;
  modality: string | null;
  viewPosition: string | null;
  /** StationName (0008,1010) and Manufacturer (0008,0070): what monitoring groups by. */
  stationName: string | null;
  manufacturer: string | null;
  rows: number;
  columns: number;
  /** [row, column] mm. */
  pixelSpacing: [number, number] | null;
  bitsAllocated: number;
  bitsStored: number;
  pixelRepresentation: number;
  photometricInterpretation: string;
  transferSyntaxUid: string;
  windowCenter: number | null;
  windowWidth: number | null;
  rescaleSlope: number;
  rescaleIntercept: number;
}

export interface InstanceRecord extends InstanceMeta {
  /** The stored DICOM, relative to the store folder. */
  file: string;
  sizeBytes: number;
  /** Milliseconds since the epoch (the service's clock). */
  receivedAt: number;
  state: JobState;
  /** Inference workers that died while running this instance (a poison image is failed after a few). */
  workerDeaths: number;
  error: string | null;
}

export interface Thresholds {
  classifier: number;
  pixel: number;
  minArea: number;
}

/** What the pipeline says of one image, as a worker reports it and the store keeps it. */
export interface PredictionSummary {
  /**
   * `not-assessed`: the input gate refused the image (gate.reasons); decision is false, there is no mask,
   * and the probability is kept for audit and monitoring only, never shown as a finding.
   */
  status: AssessmentStatus;
  gate: GateOutcome;
  /** Calibrated with the bundle's temperature when `calibrated`, else the model's own. */
  probability: number;
  /** The model's own probability, on the scale of `thresholds`. */
  probabilityUncalibrated: number;
  calibrated: boolean;
  decision: boolean;
  segmented: boolean;
  thresholds: Thresholds;
  /** SIIM RLE at the image's own resolution; `-1` when empty. */
  rle: string;
  areaPixels: number;
  bbox: { x: number; y: number; width: number; height: number } | null;
  /** ACCP and BTS measures of the mask; null for a negative or an image without pixel spacing. */
  size: PneumothoraxSize | null;
}

export interface ResultRecord extends PredictionSummary {
  uid: string;
  areaCm2: number | null;
  /** Derived PNGs, relative to the store folder; the mask only for a positive. */
  maskFile: string | null;
  overlayFile: string;
  bundleId: string;
  bundleVersion: string;
  /** Milliseconds per stage, and the queue wait. */
  timingsMs: Record<string, number>;
  finishedAt: number;
}

export type Verdict = 'agree' | 'disagree';

export interface ReviewInput {
  uid: string;
  verdict: Verdict;
  note: string | null;
  /** A corrected mask in SIIM RLE at the image's resolution (`-1`: no pneumothorax). */
  maskRle: string | null;
  reviewer: string;
  reviewedAt: number;
}

export type ReviewRecord = ReviewInput;

export interface TokenRecord {
  id: string;
  role: Role;
  label: string;
  createdAt: number;
  revokedAt: number | null;
}

/** One line of the audit log: who did what to which study. */
export interface AuditEvent {
  at: number;
  tokenId: string;
  /** The token's label (who holds it). */
  actor: string;
  role: Role;
  /** `open`: the reading room showed the instance to the reader. */
  action: 'open';
  studyUid: string | null;
  instanceUid: string | null;
}

/** A one-time login link, as redeemed: the token it stands for and how long its session lasts. */
export interface RedeemedLink {
  tokenId: string;
  sessionMs: number;
}

/** A claimed job: what a worker needs to run it. */
export interface Job {
  uid: string;
  file: string;
  workerDeaths: number;
  receivedAt: number;
  pixelSpacing: [number, number] | null;
}

/**
 * Which part of the worklist: awaiting inference, assessed and awaiting review, reviewed, failed,
 * refused by the input gate (not assessed, unreviewed), or everything.
 */
export type WorklistStatus = 'pending' | 'unreviewed' | 'reviewed' | 'failed' | 'not-assessed' | 'all';

/** Where a page of the worklist starts: the sort key of the last item of the page before. */
export interface WorklistPosition {
  tier: number;
  key: number;
  receivedAt: number;
  uid: string;
}

export interface WorklistQuery {
  status: WorklistStatus;
  limit: number;
  /** Instances received at or before this time (ms) have waited too long and go first. */
  escalateReceivedBefore: number;
  after: WorklistPosition | null;
}

export interface WorklistRow {
  instance: InstanceRecord;
  result: ResultRecord | null;
  review: ReviewRecord | null;
  position: WorklistPosition;
}

export type InsertOutcome = 'stored' | 'duplicate';

/** One instance as monitoring counts it (serve/monitoring/monitoring-report.ts). */
export interface MonitoringRow {
  receivedAt: number;
  state: JobState;
  stationName: string | null;
  manufacturer: string | null;
  /** When its result was committed; null without a result. */
  finishedAt: number | null;
  /** The model's own (uncalibrated) probability: the scale of the bundle's reference; null without a result. */
  probability: number | null;
  decision: boolean | null;
  /** False when the input gate refused the image (not assessed); results without a gate status count as assessed. */
  assessed: boolean;
  /** The input gate's out-of-distribution score; null without a gate. */
  oodScore: number | null;
  verdict: Verdict | null;
}

export interface Store {
  /** Adds an instance and queues it, in one transaction; `duplicate` when its UID is already stored. */
  insertInstance(meta: InstanceMeta, file: string, sizeBytes: number, receivedAt: number): Promise<InsertOutcome>;
  hasInstance(uid: string): Promise<boolean>;
  getInstance(uid: string): Promise<InstanceRecord | null>;

  /** Instances queued or running: what the bounded queue counts. */
  queueDepth(): Promise<number>;
  /** Takes the oldest queued instance for `worker` (queued -> running), or null. */
  claimJob(worker: string, now: number): Promise<Job | null>;
  /** Stores the result and marks the job done, in one transaction. */
  completeJob(result: ResultRecord): Promise<void>;
  /** Marks a job failed for good with its reason. */
  failJob(uid: string, reason: string, now: number): Promise<void>;
  /** Puts a running job back in the queue; `workerDied` counts it against the instance. */
  releaseJob(uid: string, workerDied: boolean): Promise<void>;
  /** At start-up: every job left running by a process that is gone goes back to the queue; returns how many. */
  requeueAbandoned(): Promise<number>;

  getResult(uid: string): Promise<ResultRecord | null>;
  worklist(query: WorklistQuery): Promise<WorklistRow[]>;

  /** Instances received in [from, to) ms, oldest first, with what monitoring needs of their result and review. */
  monitoringRows(from: number, to: number): Promise<MonitoringRow[]>;
  /** The `limit` most recent results (by finish time), newest first: the window drift is watched over. */
  recentResults(limit: number): Promise<MonitoringRow[]>;

  putReview(review: ReviewInput): Promise<void>;
  getReview(uid: string): Promise<ReviewRecord | null>;
  /** Every review with its instance's result, oldest review first. */
  reviewedCases(): Promise<{ review: ReviewRecord; result: ResultRecord; instance: InstanceRecord }[]>;

  addToken(id: string, hash: string, role: Role, label: string, createdAt: number): Promise<void>;
  tokenByHash(hash: string): Promise<TokenRecord | null>;
  listTokens(): Promise<TokenRecord[]>;
  revokeToken(id: string, now: number): Promise<boolean>;

  recordAudit(event: AuditEvent): Promise<void>;
  /** Audit events, newest first. */
  auditEvents(limit: number): Promise<(AuditEvent & { id: number })[]>;

  /** Stores a login link's hash (the link itself is shown once). */
  addLoginLink(hash: string, tokenId: string, createdAt: number, expiresAt: number, sessionMs: number): Promise<void>;
  /** Marks a live, unused link used, in one statement (a link works once); null when it is not. */
  redeemLoginLink(hash: string, now: number): Promise<RedeemedLink | null>;
  addSession(hash: string, tokenId: string, createdAt: number, expiresAt: number): Promise<void>;
  /** The live token of a live session, or null (unknown, expired, ended, or its token revoked). */
  sessionToken(hash: string, now: number): Promise<(TokenRecord & { sessionExpiresAt: number }) | null>;
  endSession(hash: string, now: number): Promise<void>;

  /** A cheap round trip to the database (readiness). */
  ping(): Promise<void>;
  close(): Promise<void>;
}
