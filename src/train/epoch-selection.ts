// Which epoch a run keeps and when it stops, as plain data: the best epoch by the monitored validation
// figure, the kept epoch (the best one, or the last with keepWeights 'last'), and early stopping by
// validations without improvement. No tensors: the trainer asks it after each epoch and saves the
// weights it says to keep.
import type { EpochRecord } from './history.js';

export interface SelectedEpoch {
  epoch: number;
  value: number;
  threshold: number | null;
}

export interface KeptEpoch {
  epoch: number;
  value: number | null;
  threshold: number | null;
  rule: 'best' | 'last';
}

export interface SelectionRules {
  /** `loss` or a validation metric's name. */
  monitor: string;
  higherIsBetter: boolean;
  keepWeights: 'best' | 'last';
  /** Validations without improvement before stopping; null: never. */
  earlyStopping: number | null;
}

/** What one epoch's record decided. */
export interface EpochVerdict {
  /** The monitored value, null when the epoch was not validated (or gave no finite value). */
  value: number | null;
  best: boolean;
  /** Save this epoch's weights as the kept ones. */
  keep: boolean;
  /** Stop after this epoch (early stopping). */
  stop: boolean;
}

export class EpochSelection {
  best: SelectedEpoch | null = null;
  kept: KeptEpoch | null = null;
  validationsWithoutImprovement = 0;

  constructor(readonly rules: SelectionRules) {}

  /** The monitored validation figure of a record, or null. */
  monitored(record: EpochRecord): number | null {
    const v = this.rules.monitor === 'loss' ? record.validation.loss : record.validation[this.rules.monitor];
    return v === undefined || v === null || !Number.isFinite(v) ? null : v;
  }

  private improves(value: number | null): boolean {
    if (value === null) return false;
    if (!this.best) return true;
    return this.rules.higherIsBetter ? value > this.best.value : value < this.best.value;
  }

  /** Takes an epoch's record (its `validation` empty when the epoch was not validated). */
  observe(record: EpochRecord, validated: boolean): EpochVerdict {
    const value = this.monitored(record);
    const best = this.improves(value);
    if (best) {
      this.best = { epoch: record.epoch, value: value!, threshold: record.threshold };
      this.validationsWithoutImprovement = 0;
    } else if (validated) {
      this.validationsWithoutImprovement++;
    }
    const keepLast = this.rules.keepWeights === 'last';
    if (best || keepLast)
      this.kept = { epoch: record.epoch, value, threshold: record.threshold, rule: keepLast ? 'last' : 'best' };
    const { earlyStopping } = this.rules;
    return {
      value,
      best,
      keep: best || keepLast,
      stop: earlyStopping !== null && this.validationsWithoutImprovement >= earlyStopping,
    };
  }

  /** The state after the epochs of `history`, as a checkpoint recorded it (resume). */
  restore(
    history: readonly EpochRecord[],
    best: { epoch: number; value: number } | null,
    withoutImprovement: number,
  ): void {
    this.best = best ? { ...best, threshold: history.find((r) => r.epoch === best.epoch)?.threshold ?? null } : null;
    const last = history.at(-1);
    this.kept =
      this.rules.keepWeights === 'last' && last
        ? { epoch: last.epoch, value: this.monitored(last), threshold: last.threshold, rule: 'last' }
        : this.best && { ...this.best, rule: 'best' };
    this.validationsWithoutImprovement = withoutImprovement;
  }
}
