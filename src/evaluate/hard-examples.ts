// The hard-example list that training reads for oversampling (`pneumo train ... --oversample
// hard.csv`): header `ImageId,reason,score`, the image id first. One row per (image, reason); an
// image with two reasons has two rows (the reader keeps each id once).
import { readFile, writeFile } from 'node:fs/promises';
import { csvText, splitCsvLine } from '../data/csv.js';
import type { ClassificationErrors } from './error-analysis.js';
import type { ImageSegmentationScore } from '../metrics/segmentation.js';

export type HardExampleReason =
  | 'false-negative-confident'
  | 'false-negative-near-threshold'
  | 'false-positive-confident'
  | 'false-positive-near-threshold'
  | 'poor-segmentation';

export interface HardExample {
  imageId: string;
  reason: HardExampleReason;
  /** The classifier probability for classification errors, the IoU for segmentations. */
  score: number;
}

export const HARD_EXAMPLES_HEADER = 'ImageId,reason,score';

/** Every classification error (all of them, not only those shown in galleries) and every poor segmentation. */
export function hardExamples(
  errors: ClassificationErrors,
  segmentations: readonly ImageSegmentationScore[],
  poorIou = 0.1,
): HardExample[] {
  const rows: HardExample[] = [];
  const add = (list: readonly { imageId: string; probability: number }[], reason: HardExampleReason) => {
    for (const r of list) rows.push({ imageId: r.imageId, reason, score: r.probability });
  };
  add(errors.falseNegatives.confident, 'false-negative-confident');
  add(errors.falseNegatives.nearThreshold, 'false-negative-near-threshold');
  add(errors.falsePositives.confident, 'false-positive-confident');
  add(errors.falsePositives.nearThreshold, 'false-positive-near-threshold');
  const poor = segmentations.filter((s) => s.truthPositive && s.iou < poorIou).sort((a, b) => a.iou - b.iou);
  for (const s of poor) rows.push({ imageId: s.imageId, reason: 'poor-segmentation', score: s.iou });
  return rows;
}

export function formatHardExamples(rows: readonly HardExample[]): string {
  return csvText(
    HARD_EXAMPLES_HEADER.split(','),
    rows.map((r) => [r.imageId, r.reason, String(Number(r.score.toFixed(6)))]),
  );
}

export async function writeHardExamples(file: string, rows: readonly HardExample[]): Promise<void> {
  await writeFile(file, formatHardExamples(rows), 'utf8');
}

const REASONS = new Set<string>([
  'false-negative-confident',
  'false-negative-near-threshold',
  'false-positive-confident',
  'false-positive-near-threshold',
  'poor-segmentation',
]);

/** Parses a hard-example file written by formatHardExamples; throws naming the line of a bad row. */
export function parseHardExamples(text: string, source = 'hard-examples.csv'): HardExample[] {
  const lines = text
    .replace(/^\uFEFF/, '')
    .split(/\r\n|\n|\r/)
    .filter((l) => l.trim() !== '');
  if (lines[0]?.trim() !== HARD_EXAMPLES_HEADER)
    throw new Error(`${source}: the first line must be ${HARD_EXAMPLES_HEADER}`);
  return lines.slice(1).map((line, i) => {
    const fields = splitCsvLine(line);
    const where = `${source} line ${i + 2}`;
    if (!Array.isArray(fields) || fields.length !== 3) throw new Error(`${where}: expected 3 fields`);
    const [imageId, reason, score] = fields;
    if (!REASONS.has(reason)) throw new Error(`${where}: unknown reason "${reason}"`);
    if (score === '' || !Number.isFinite(Number(score))) throw new Error(`${where}: score "${score}" is not a number`);
    return { imageId, reason: reason as HardExampleReason, score: Number(score) };
  });
}

export async function readHardExamples(file: string): Promise<HardExample[]> {
  return parseHardExamples(await readFile(file, 'utf8'), file);
}
