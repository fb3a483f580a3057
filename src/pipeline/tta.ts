// Test-time augmentation by name: what `--tta` takes in evaluate, predict and serve, and what
// predictions.jsonl and evaluation.json record. `hflip`: each model also sees the horizontal mirror
// and the two predictions are averaged (predictor.ts).
export const TTA_NAMES = ['none', 'hflip'] as const;
export type TtaName = (typeof TTA_NAMES)[number];

/** The name of a predictor's augmentation from its on/off switch. */
export const ttaName = (on: boolean): TtaName => (on ? 'hflip' : 'none');

/** A Predictor's `tta` option, as a switch: a name, or a boolean (true meaning hflip). */
export const ttaOn = (tta: boolean | TtaName | undefined): boolean => tta === true || tta === 'hflip';
