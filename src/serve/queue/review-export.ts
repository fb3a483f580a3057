// What reviews give back to training. reviews.csv is a SIIM label file (ImageId,EncodedPixels) of the
// reviewed cases: the model's own mask where the reviewer agreed, the reviewer's corrected mask where
// one was drawn, `-1` where the reviewer rejected a positive without drawing. A disagreement on a
// negative without a drawn mask says "there is pneumothorax" but not where, so it is no label; it still
// goes to the hard-example list (ImageId,reason,score, as `pneumo train --oversample` reads it), which
// holds every disagreement: the cases the next training round should see more often.
import { csvText } from '../../data/csv.js';
import { HARD_EXAMPLES_HEADER } from '../../evaluate/hard-examples.js';
import type { InstanceRecord, ResultRecord, ReviewRecord } from '../store/store.js';

export type ReviewedCase = { review: ReviewRecord; result: ResultRecord; instance: InstanceRecord };

/** The label a review gives, or null when it gives none (see above). */
export function reviewedLabel({ review, result }: ReviewedCase): string | null {
  if (review.maskRle !== null) return review.maskRle;
  if (review.verdict === 'agree') return result.rle;
  return result.decision ? '-1' : null;
}

export type ReviewHardReason = 'review-false-positive' | 'review-false-negative' | 'review-mask-corrected';

export function hardReason({ review, result }: ReviewedCase): ReviewHardReason | null {
  if (review.verdict !== 'disagree') return null;
  if (!result.decision) return 'review-false-negative';
  return review.maskRle !== null && review.maskRle !== '-1' ? 'review-mask-corrected' : 'review-false-positive';
}

export function reviewsCsv(cases: readonly ReviewedCase[]): string {
  const rows: string[][] = [];
  for (const c of cases) {
    const label = reviewedLabel(c);
    if (label !== null) rows.push([c.instance.uid, label]);
  }
  return csvText(['ImageId', 'EncodedPixels'], rows);
}

export function hardExamplesCsv(cases: readonly ReviewedCase[]): string {
  const rows: string[][] = [];
  for (const c of cases) {
    const reason = hardReason(c);
    if (reason) rows.push([c.instance.uid, reason, String(Number(c.result.probability.toFixed(6)))]);
  }
  return csvText(HARD_EXAMPLES_HEADER.split(','), rows);
}
