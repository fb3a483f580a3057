// The worklist order. Sorting by the model's probability alone shortens the wait of the urgent cases
// but lets the unremarkable ones wait without bound: in a simulation of AI-sorted chest X-ray
// worklists (Baltruschat et al., Eur Radiol 2021) the mean time-to-report for pneumothorax fell from
// 80 to 36 minutes while the longest wait rose from 890 to 1293 minutes. So waiting time is part of
// the priority: an unreviewed instance that has waited longer than the limit rises above everything
// the model ranks, and such instances go oldest first. A pneumothorax graded large from its mask
// (pipeline/pneumothorax-size.ts: ACCP apex-to-cupola >= 3 cm or BTS interpleural >= 2 cm) is the
// one that may need a drain now, so it comes before the other positives. The tiers, top to bottom:
//   0  unreviewed, waited longer than the limit       oldest first
//   1  the model's positives graded large             highest probability first
//   2  the other positives                            highest probability first
//   3  everything else (negatives, no result yet)     highest probability first (none counts as -1)
// Ties go to the earlier arrival, then the smaller UID. The SQL lives with the store; this file holds
// the rule's parameters and the page cursor.
import type { WorklistPosition } from '../store/store.js';

/** The arrival time at or before which an instance counts as overdue at `now`. */
export function escalationCutoff(now: number, escalateAfterMs: number): number {
  return now - escalateAfterMs;
}

/** A page cursor: the clock reading of the first page (so that every page sorts alike) and where the last page ended. */
export interface WorklistCursor {
  now: number;
  after: WorklistPosition;
}

export function encodeCursor(cursor: WorklistCursor): string {
  return Buffer.from(JSON.stringify(cursor), 'utf8').toString('base64url');
}

/** The cursor, or null when the text is not one this service made. */
export function decodeCursor(text: string): WorklistCursor | null {
  try {
    const c = JSON.parse(Buffer.from(text, 'base64url').toString('utf8')) as WorklistCursor;
    const a = c?.after;
    if (
      typeof c.now === 'number' &&
      a &&
      [a.tier, a.key, a.receivedAt].every((v) => typeof v === 'number' && Number.isFinite(v)) &&
      typeof a.uid === 'string'
    )
      return { now: c.now, after: { tier: a.tier, key: a.key, receivedAt: a.receivedAt, uid: a.uid } };
  } catch {
    // not base64url JSON
  }
  return null;
}
