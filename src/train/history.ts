// What each epoch leaves behind: one record of losses and metrics on both parts of the split, written
// as RUN/metrics.csv (rewritten whole and atomically each epoch from the history that the checkpoint
// also holds, so that a resumed run's CSV never has a gap or a duplicate epoch).
import { writeFileAtomic } from '../atomic-file.js';
import { csvText } from '../data/csv.js';
import type { PhaseMetrics } from './tasks.js';

export interface EpochRecord {
  /** 1-based. */
  epoch: number;
  /** Learning rate at the end of the epoch (first parameter group). */
  lr: number;
  seconds: number;
  trainImagesPerSecond: number;
  train: PhaseMetrics & { loss: number };
  validation: PhaseMetrics & { loss: number | null };
  /** Validation threshold proposed for a classifier (F1 or Youden), else null. */
  threshold: number | null;
  encoderFrozen: boolean;
}

function cell(v: number | null | undefined | boolean): string {
  if (v === null || v === undefined) return '';
  if (typeof v === 'boolean') return v ? '1' : '0';
  return Number.isInteger(v) ? String(v) : String(Number(v.toPrecision(8)));
}

/** The CSV text of a history: fixed columns first, then every metric seen, train_ then val_. */
export function historyCsv(history: readonly EpochRecord[]): string {
  const keys = (part: 'train' | 'validation') => {
    const seen: string[] = ['loss'];
    for (const r of history) for (const k of Object.keys(r[part])) if (!seen.includes(k)) seen.push(k);
    return seen;
  };
  const trainKeys = keys('train');
  const validationKeys = keys('validation');
  const header = [
    'epoch',
    'lr',
    'seconds',
    'train_images_per_s',
    ...trainKeys.map((k) => `train_${k}`),
    ...validationKeys.map((k) => `val_${k}`),
    'threshold',
    'encoder_frozen',
  ];
  const rows = history.map((r) =>
    [
      r.epoch,
      r.lr,
      r.seconds,
      r.trainImagesPerSecond,
      ...trainKeys.map((k) => r.train[k]),
      ...validationKeys.map((k) => r.validation[k]),
      r.threshold,
      r.encoderFrozen,
    ].map(cell),
  );
  return csvText(header, rows);
}

export function writeHistoryCsv(file: string, history: readonly EpochRecord[]): void {
  writeFileAtomic(file, historyCsv(history));
}
