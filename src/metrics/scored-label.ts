// One validation image as the classifier saw it. Evaluation keeps images as records (id, label,
// probability, Dice); the classification metrics (src/metrics/classification.ts) take columns.

export interface ScoredLabel {
  probability: number;
  label: 0 | 1;
}

/** The records as the score and truth columns the classification metrics take. */
export function scoreColumns(records: readonly ScoredLabel[]): { scores: Float64Array; truth: Uint8Array } {
  return {
    scores: Float64Array.from(records, (r) => r.probability),
    truth: Uint8Array.from(records, (r) => r.label),
  };
}
