// Forwarding result objects to a PACS over STOW-RS so that nothing is lost when the PACS is down:
// transient failures (no answer, 408/429/5xx) are retried with exponential backoff; what still fails
// (or fails for good: 4xx, instances the PACS refused) goes to a dead-letter sink with the bytes and
// the reason, from which resendDeadLetters delivers it once the PACS is back. The sink is pluggable:
// `pneumo predict --push` keeps letters in a folder; `pneumo serve` keeps them in its database.
import { setTimeout as sleep } from 'node:timers/promises';
import { DicomwebError, type StoreResult } from './client.js';

export interface OutgoingInstance {
  sopInstanceUid: string;
  bytes: Uint8Array;
}

/** Objects of one study, stored with one STOW-RS request. */
export interface OutgoingBatch {
  studyInstanceUid: string;
  instances: OutgoingInstance[];
}

export interface DeadLetter extends OutgoingBatch {
  /** Unique within its sink. */
  id: string;
  reason: string;
  attempts: number;
  /** ISO time of the last failure. */
  failedAt: string;
}

/** Where undeliverable batches go: put is all a forwarder needs; resending also lists and removes. */
export interface DeadLetterSink {
  put(letter: DeadLetter): Promise<void>;
}

export interface DeadLetterStore extends DeadLetterSink {
  list(): Promise<DeadLetter[]>;
  remove(id: string): Promise<void>;
}

export interface RetryPolicy {
  /** Tries in all, the first included; default 5. */
  attempts: number;
  /** Wait before the second try; default 500 ms. */
  initialDelayMs: number;
  /** Each wait is this many times the last; default 2. */
  factor: number;
  /** No wait is longer; default 30 s. */
  maxDelayMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = { attempts: 5, initialDelayMs: 500, factor: 2, maxDelayMs: 30_000 };

/** What stores a batch: DicomwebClient.store, or anything with its contract. */
export type StoreFunction = (instances: readonly Uint8Array[], study: string) => Promise<StoreResult>;

export interface ForwardOptions {
  store: StoreFunction;
  retry?: Partial<RetryPolicy>;
  deadLetters?: DeadLetterSink;
  /** Told before each wait. */
  onRetry?: (attempt: number, delayMs: number, error: Error) => void;
}

export type ForwardOutcome =
  | { delivered: true; attempts: number; stored: string[] }
  | { delivered: false; attempts: number; reason: string; deadLetter: DeadLetter | null };

/** Objects grouped into one batch per study (STOW-RS stores into one study per request). */
export function batchesByStudy(
  objects: readonly { studyInstanceUid: string; sopInstanceUid: string; bytes: Uint8Array }[],
): OutgoingBatch[] {
  const batches = new Map<string, OutgoingBatch>();
  for (const { studyInstanceUid, sopInstanceUid, bytes } of objects) {
    const batch = batches.get(studyInstanceUid) ?? { studyInstanceUid, instances: [] };
    batch.instances.push({ sopInstanceUid, bytes });
    batches.set(studyInstanceUid, batch);
  }
  return [...batches.values()];
}

/** The wait before try `attempt + 1` (attempt counts from 1). */
export function backoffDelay(policy: RetryPolicy, attempt: number): number {
  return Math.min(policy.maxDelayMs, policy.initialDelayMs * policy.factor ** (attempt - 1));
}

let letterCount = 0;
function letterId(): string {
  return `${new Date().toISOString().replace(/[-:.]/g, '')}-${process.pid}-${++letterCount}`;
}

/**
 * Stores a batch, retrying transient failures. Instances the PACS refused are not retried (the same
 * bytes would be refused again) and go to the dead letters with the rest of what was not stored.
 */
export async function forwardBatch(batch: OutgoingBatch, o: ForwardOptions): Promise<ForwardOutcome> {
  const policy = { ...DEFAULT_RETRY, ...o.retry };
  let pending = batch.instances;
  const stored: string[] = [];
  let attempt = 0;
  let reason = '';
  while (attempt < policy.attempts && pending.length > 0) {
    attempt++;
    try {
      const result = await o.store(
        pending.map((i) => i.bytes),
        batch.studyInstanceUid,
      );
      const refused = new Map(result.failed.map((f) => [f.sopInstanceUid, f.reason]));
      stored.push(...pending.filter((i) => !refused.has(i.sopInstanceUid)).map((i) => i.sopInstanceUid));
      pending = pending.filter((i) => refused.has(i.sopInstanceUid));
      if (pending.length > 0)
        reason = `the PACS refused ${pending.length} instance(s): ${[...refused.values()].join(', ')}`;
      break;
    } catch (err) {
      const error = err instanceof Error ? err : new Error(String(err));
      reason = error.message;
      const transient = !(error instanceof DicomwebError) || error.transient;
      if (!transient || attempt >= policy.attempts) break;
      const delay = backoffDelay(policy, attempt);
      o.onRetry?.(attempt, delay, error);
      await sleep(delay);
    }
  }
  if (pending.length === 0) return { delivered: true, attempts: attempt, stored };
  const deadLetter: DeadLetter | null = o.deadLetters
    ? {
        id: letterId(),
        studyInstanceUid: batch.studyInstanceUid,
        instances: pending,
        reason,
        attempts: attempt,
        failedAt: new Date().toISOString(),
      }
    : null;
  if (deadLetter) await o.deadLetters!.put(deadLetter);
  return { delivered: false, attempts: attempt, reason, deadLetter };
}

/**
 * Sends every dead letter again (each with the retry policy); a delivered letter is removed, one that
 * fails again stays with its new reason. Returns how many were delivered and how many remain.
 */
export async function resendDeadLetters(
  store: DeadLetterStore,
  o: Omit<ForwardOptions, 'deadLetters'>,
): Promise<{ delivered: number; remaining: number }> {
  let delivered = 0;
  let remaining = 0;
  for (const letter of await store.list()) {
    const outcome = await forwardBatch(letter, o);
    if (outcome.delivered) {
      await store.remove(letter.id);
      delivered++;
    } else {
      await store.put({
        ...letter,
        reason: outcome.reason,
        attempts: letter.attempts + outcome.attempts,
        failedAt: new Date().toISOString(),
      });
      remaining++;
    }
  }
  return { delivered, remaining };
}
