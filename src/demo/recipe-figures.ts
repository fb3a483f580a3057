// The figures a recipe is judged by on the demo's test set, at the bundle's triage point: the point
// the bundle holds (operatingPoints.triage, chosen on validation when the bundle is made, and the one
// serve's worklist flag uses), with the pipeline's rates and 95% intervals that the test evaluation
// measured there (study.namedPoints), overall, on films with and without a chest drain (synth.json)
// and per mask-size band (each band's positives and every negative). Nothing here chooses a threshold
// or recounts a rate the evaluation gives; the one figure it adds is the segmenter's own Dice per band,
// which the evaluation reports only for the whole pipeline.
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { Interval } from '../metrics/bootstrap.js';
import { SIIM_SIZE_BANDS } from '../data/synth/siim-reference.js';
import { SUMMARY_FILE, type SynthSummary } from '../data/synth/dataset-writer.js';
import { EVALUATION_FILE, readEvaluation, type EvaluationResult } from '../evaluate/evaluation-file.js';
import type { NamedPointStudy, StudyFigures } from '../evaluate/study.js';
import type { SubgroupFamilyStudy, SubgroupStudy } from '../evaluate/subgroups.js';
import type { BundleManifest, BundleThresholds } from '../pipeline/bundle-manifest.js';
import { readBundleManifest } from '../pipeline/bundle.js';
import type { TargetCheck } from '../report/demo-summary.js';
import { RECIPE_TARGETS } from './demo-plan.js';
import { synthGroups } from './test-subgroups.js';

/** The attribute families of evaluate (image-attributes.ts) the triage targets read. */
const DRAIN_FAMILY = 'chest-drain';
const SIZE_FAMILY = 'mask-size';
const TRIAGE = 'triage';

/** The triage point's figures on one evaluation, as its study measured them. */
export interface TriageFigures {
  thresholds: BundleThresholds;
  rule: string;
  /** The pipeline's flag (the classifier passes and a mask survives): what the worklist shows. */
  recall: Interval;
  specificity: Interval;
  /** The classifier alone at the point's classifier threshold. */
  classifierRecall: Interval;
  classifierSpecificity: Interval;
  /** With a chest drain first, then without; null when the evaluated data had no synth.json. */
  drain: [SubgroupStudy, SubgroupStudy] | null;
  /** One per SIIM_SIZE_BANDS entry, in order. */
  sizeBands: SubgroupStudy[];
}

function family(families: readonly SubgroupFamilyStudy[], key: string): SubgroupFamilyStudy | null {
  return families.find((f) => f.key === key) ?? null;
}

/** The study's triage point; null when the evaluated bundle had no named points. */
export function triageFigures(study: Pick<StudyFigures, 'namedPoints'>): TriageFigures | null {
  const point: NamedPointStudy | undefined = study.namedPoints.find((p) => p.name === TRIAGE);
  if (!point) return null;
  const drains = family(point.subgroups, DRAIN_FAMILY);
  const sizes = family(point.subgroups, SIZE_FAMILY);
  return {
    thresholds: point.thresholds,
    rule: point.rule,
    recall: point.pipeline.sensitivity,
    specificity: point.pipeline.specificity,
    classifierRecall: point.classifier.sensitivity,
    classifierSpecificity: point.classifier.specificity,
    // deviceFamily lists the group with the device first.
    drain: drains && drains.groups.length === 2 ? [drains.groups[0], drains.groups[1]] : null,
    sizeBands: sizes ? sizes.groups : [],
  };
}

const fmt = (v: number | null) => (v === null ? 'n/a' : v.toFixed(3));
const ciText = (i: Interval) => (i.lower === null || i.upper === null ? '' : ` [${fmt(i.lower)}-${fmt(i.upper)}]`);

/**
 * Issue 30's triage targets (RECIPE_TARGETS) judged at the triage point of a test evaluation: recall and
 * specificity overall and on films with a chest drain, and recall on the smallest size band. A missing
 * figure (no triage point, no drain group) is a missed target.
 */
export function triageTargetChecks(figures: TriageFigures | null, targets = RECIPE_TARGETS): TargetCheck[] {
  const check = (name: string, i: Interval | null, floor: number): TargetCheck => ({
    name: `${name} at the bundle's triage point`,
    target: `>= ${floor}`,
    value: i === null ? 'n/a' : `${fmt(i.estimate)}${ciText(i)}`,
    met: (i?.estimate ?? -1) >= floor,
  });
  const drain = figures?.drain?.[0] ?? null;
  const small = figures?.sizeBands[0] ?? null;
  return [
    check('pipeline recall', figures?.recall ?? null, targets.triageRecall),
    check('pipeline specificity', figures?.specificity ?? null, targets.triageSpecificity),
    check('pipeline recall on films with a chest drain', drain?.sensitivity ?? null, targets.triageRecall),
    check('pipeline specificity on films with a chest drain', drain?.specificity ?? null, targets.triageSpecificity),
    check(
      `pipeline recall on ${small?.name ?? 'the smallest'} masks`,
      small?.sensitivity ?? null,
      targets.triageRecallSmall,
    ),
  ];
}

export interface RecipeFigures {
  /** The bundle's triage point: its thresholds, its rule, and what it reached on the images that chose it. */
  triage: {
    thresholds: BundleThresholds;
    rule: string;
    chosenOn: string;
    recallFloor: number | null;
    floorMet: boolean | null;
    chosenRecall: number | null;
    chosenSpecificity: number | null;
  };
  /** The classifier's ROC AUC on the test images (bootstrap interval). */
  rocAuc: Interval;
  /** The triage point on the test images (the study's figures). */
  test: TriageFigures;
  /** The segmenter's own mean Dice on each band's positives (from each image's IoU), in band order. */
  segmenterDiceBands: (number | null)[];
}

const diceOfIou = (iou: number) => (2 * iou) / (1 + iou);

/** The segmenter's mean Dice per size band, from synth.json's mask areas: null for a band without positives. */
export function segmenterDiceByBand(perImage: EvaluationResult['perImage'], summary: SynthSummary): (number | null)[] {
  const { known, band } = synthGroups(summary, perImage);
  return SIIM_SIZE_BANDS.map((_, i) => {
    const positives = known.filter((r) => r.label === 1 && band(r) === i);
    return positives.length === 0 ? null : positives.reduce((sum, r) => sum + diceOfIou(r.iou), 0) / positives.length;
  });
}

const sameThresholds = (a: BundleThresholds, b: BundleThresholds) =>
  a.classifier === b.classifier && a.pixel === b.pixel && a.minArea === b.minArea;

/**
 * The recipe figures of a bundle and its test evaluation. Throws when the bundle has no triage point,
 * or when the evaluation measured another triage point than the bundle holds (evaluated before the
 * bundle's points were chosen again): its figures would not be the worklist's.
 */
export function recipeFigures(
  manifest: Pick<BundleManifest, 'operatingPoints'>,
  test: Pick<EvaluationResult, 'study' | 'perImage' | 'bundle'>,
  summary: SynthSummary,
): RecipeFigures {
  const point = manifest.operatingPoints?.triage;
  if (!point)
    throw new Error(
      `${test.bundle}: the bundle has no triage point (made before named points: run \`pneumo bundle\` or \`pneumo evaluate --split val --write-bundle\`)`,
    );
  const figures = triageFigures(test.study);
  if (!figures) throw new Error(`the test evaluation of ${test.bundle} has no triage point: evaluate it again`);
  const thresholds = { classifier: point.classifier, pixel: point.pixel, minArea: point.minArea };
  if (!sameThresholds(thresholds, figures.thresholds))
    throw new Error(
      `the test evaluation measured the triage point ${JSON.stringify(figures.thresholds)}, the bundle holds ${JSON.stringify(thresholds)}: evaluate it again`,
    );
  return {
    triage: {
      thresholds,
      rule: point.source.rule,
      chosenOn: point.source.split,
      recallFloor: point.recallFloor,
      floorMet: point.floorMet,
      chosenRecall: point.recall,
      chosenSpecificity: point.specificity,
    },
    rocAuc: test.study.auc.bootstrap,
    test: figures,
    segmenterDiceBands: segmenterDiceByBand(test.perImage, summary),
  };
}

/** The recipe figures of a finished demo folder: its bundle, its test evaluation and its test set's synth.json. */
export async function demoRecipeFigures(demoOut: string): Promise<RecipeFigures> {
  const manifest = await readBundleManifest(path.join(demoOut, 'bundle'));
  const test = await readEvaluation(path.join(demoOut, 'evaluation', 'test', EVALUATION_FILE));
  const summaryFile = path.join(demoOut, 'test-data', SUMMARY_FILE);
  let summary: SynthSummary;
  try {
    summary = JSON.parse(await readFile(summaryFile, 'utf8')) as SynthSummary;
  } catch (err) {
    throw new Error(`${summaryFile}: cannot be read (${(err as Error).message})`);
  }
  return recipeFigures(manifest, test, summary);
}
