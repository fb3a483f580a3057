// The figures a recipe is judged by on the demo's test set: the classifier's ROC AUC overall, on films
// with a chest drain and per mask-size band, and the rates at a triage point, the highest classifier
// threshold whose recall on the validation split reaches a floor (0.90: a triage tool exists to catch
// the pneumothorax). The bands are SIIM's quartile edges; each band's figures hold that band's
// positives and every negative, as test-subgroups.ts groups them.
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { rocAuc } from '../metrics/classification.js';
import { SIIM_SIZE_BANDS } from '../data/synth/siim-reference.js';
import { SUMMARY_FILE, type SynthSummary } from '../data/synth/dataset-writer.js';
import { EVALUATION_FILE, readEvaluation } from '../evaluate/evaluation-file.js';
import type { PipelineRecord } from '../evaluate/threshold-sweep.js';
import { synthGroups } from './test-subgroups.js';

/** The validation recall a triage point must reach. */
export const TRIAGE_RECALL = 0.9;

/**
 * The highest threshold t (one of the positives' probabilities) at which the share of positives with
 * p >= t is at least `recall`; null without positives.
 */
export function highestThresholdForRecall(
  records: readonly Pick<PipelineRecord, 'label' | 'probability'>[],
  recall = TRIAGE_RECALL,
): number | null {
  const positives = records
    .filter((r) => r.label === 1)
    .map((r) => r.probability)
    .sort((a, b) => b - a);
  if (positives.length === 0) return null;
  const needed = Math.max(1, Math.ceil(recall * positives.length - 1e-9));
  return positives[needed - 1];
}

export interface RatesAt {
  images: number;
  positives: number;
  rocAuc: number | null;
  /** At the triage threshold: the classifier alone, and the pipeline (classifier passes and a mask survives). */
  recall: number | null;
  specificity: number | null;
  pipelineRecall: number | null;
  pipelineSpecificity: number | null;
  /** Mean Dice of the segmenter alone on the positives (from each image's IoU). */
  segmenterDice: number | null;
}

/** A test image as evaluation.json records it: the pipeline's record and the segmenter's IoU. */
export type TestRecord = PipelineRecord & { iou: number };

const diceOfIou = (iou: number) => (2 * iou) / (1 + iou);

function ratesAt(records: readonly TestRecord[], threshold: number): RatesAt {
  const positives = records.filter((r) => r.label === 1);
  const negatives = records.filter((r) => r.label !== 1);
  const share = (list: readonly TestRecord[], hit: (r: TestRecord) => boolean) =>
    list.length === 0 ? null : list.filter(hit).length / list.length;
  return {
    images: records.length,
    positives: positives.length,
    rocAuc: rocAuc(
      records.map((r) => r.probability),
      records.map((r) => r.label),
    ),
    recall: share(positives, (r) => r.probability >= threshold),
    specificity: share(negatives, (r) => r.probability < threshold),
    pipelineRecall: share(positives, (r) => r.probability >= threshold && r.maskFound),
    pipelineSpecificity: share(negatives, (r) => !(r.probability >= threshold && r.maskFound)),
    segmenterDice:
      positives.length === 0 ? null : positives.reduce((sum, r) => sum + diceOfIou(r.iou), 0) / positives.length,
  };
}

export interface RecipeFigures {
  triageThreshold: number;
  overall: RatesAt;
  withDrain: RatesAt;
  withoutDrain: RatesAt;
  /** One per SIIM_SIZE_BANDS entry, in order. */
  sizeBands: (RatesAt & { band: string })[];
}

/** Figures of the test records at `triageThreshold`, grouped by what the generator put in each image. */
export function recipeFigures(
  test: readonly TestRecord[],
  summary: SynthSummary,
  triageThreshold: number,
): RecipeFigures {
  const { known, drain, band } = synthGroups(summary, test);
  return {
    triageThreshold,
    overall: ratesAt(known, triageThreshold),
    withDrain: ratesAt(known.filter(drain), triageThreshold),
    withoutDrain: ratesAt(
      known.filter((r) => !drain(r)),
      triageThreshold,
    ),
    sizeBands: SIIM_SIZE_BANDS.map((b, i) => ({
      band: b.name,
      ...ratesAt(
        known.filter((r) => r.label === 0 || band(r) === i),
        triageThreshold,
      ),
    })),
  };
}

/**
 * The recipe figures of a finished demo folder: the triage threshold from its validation evaluation,
 * the rates on its test evaluation, grouped by its test set's synth.json.
 */
export async function demoRecipeFigures(demoOut: string, recall = TRIAGE_RECALL): Promise<RecipeFigures> {
  const validation = await readEvaluation(path.join(demoOut, 'evaluation', 'validation', EVALUATION_FILE));
  const test = await readEvaluation(path.join(demoOut, 'evaluation', 'test', EVALUATION_FILE));
  const summaryFile = path.join(demoOut, 'test-data', SUMMARY_FILE);
  const summary = JSON.parse(await readFile(summaryFile, 'utf8')) as SynthSummary;
  const threshold = highestThresholdForRecall(validation.perImage, recall);
  if (threshold === null) throw new Error(`${demoOut}: the validation split has no positive image`);
  return recipeFigures(test.perImage, summary, threshold);
}
