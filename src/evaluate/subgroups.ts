// Figures of each stage on a subgroup of the test images (with or without a chest drain, one mask-size
// band, one sex or age band...), at the bundle's frozen thresholds. A recipe that learned a device
// instead of the finding, or that finds only large pneumothoraces, shows it here and not in the overall
// figures. `subgroupStudy` adds 95% bootstrap intervals and warnings; `familyStudy` does it for every
// group of one attribute (image-attributes.ts).
import { bootstrapIntervals, type BootstrapOptions, type Interval } from '../metrics/bootstrap.js';
import { rocAuc } from '../metrics/classification.js';
import { scoreColumns } from '../metrics/scored-label.js';
import type { BundleThresholds } from '../pipeline/bundle-manifest.js';
import { evaluateAtBundleThresholds } from './bundle-point.js';
import type { AttributeFamily, AttributeSource } from './image-attributes.js';
import { aucStatistic, meanStatistic, rateStatistic, RecordColumns } from './study-statistics.js';
import type { PipelineRecord } from './threshold-sweep.js';

export interface SubgroupFigures {
  name: string;
  images: number;
  positives: number;
  /** The classifier's ROC AUC within the group; null without both classes in it. */
  rocAuc: number | null;
  /** Share of the group's positives passed by the classifier alone, and found by the pipeline. */
  classifierRecall: number | null;
  pipelineRecall: number | null;
  /** Share of the group's negatives the classifier alone, and the pipeline, leave empty. */
  classifierSpecificity: number | null;
  pipelineSpecificity: number | null;
  /** Mean Dice on the group's positives: the segmenter alone, and the pipeline (misses score 0). */
  dicePositive: { segmenter: number | null; pipeline: number | null };
}

export function subgroupFigures(
  name: string,
  records: readonly PipelineRecord[],
  thresholds: BundleThresholds,
): SubgroupFigures {
  const at = evaluateAtBundleThresholds(records, thresholds);
  const { scores, truth } = scoreColumns(records);
  return {
    name,
    images: records.length,
    positives: records.filter((r) => r.label === 1).length,
    rocAuc: rocAuc(scores, truth),
    classifierRecall: at.classifier.recall,
    pipelineRecall: at.pipeline.recall,
    classifierSpecificity: at.classifier.specificity,
    pipelineSpecificity: at.pipeline.specificity,
    dicePositive: at.dicePositive,
  };
}

/** Below this many images a group's intervals are wide and unstable, and the report says so. */
export const SMALL_GROUP = 30;

/** A subgroup as a clinical study reports it: every figure with its 95% bootstrap interval. */
export interface SubgroupStudy {
  name: string;
  images: number;
  positives: number;
  negatives: number;
  /** The classifier's ROC AUC. */
  auc: Interval;
  /** The pipeline's sensitivity and specificity at the bundle's thresholds. */
  sensitivity: Interval;
  specificity: Interval;
  /** The pipeline's mean Dice on the group's positives (a missed image scores 0). */
  dicePositive: Interval;
  /** Why a figure is missing or unreliable: fewer than SMALL_GROUP images, a class missing. */
  warnings: string[];
}

export function groupWarnings(images: number, positives: number, negatives: number): string[] {
  const warnings: string[] = [];
  if (images < SMALL_GROUP) warnings.push(`only ${images} images (< ${SMALL_GROUP}): intervals are wide`);
  if (positives === 0) warnings.push('no positive image: AUC, sensitivity and Dice are undefined');
  if (negatives === 0) warnings.push('no negative image: AUC and specificity are undefined');
  return warnings;
}

export function subgroupStudy(
  name: string,
  records: readonly PipelineRecord[],
  thresholds: BundleThresholds,
  bootstrap: BootstrapOptions,
): SubgroupStudy {
  const columns = new RecordColumns(records);
  const { truth } = columns;
  const called = columns.called(thresholds.classifier, 'pipeline');
  const intervals = bootstrapIntervals(
    truth,
    {
      auc: aucStatistic(columns),
      sensitivity: rateStatistic(truth, called, 'sensitivity'),
      specificity: rateStatistic(truth, called, 'specificity'),
      dicePositive: meanStatistic(columns.pipelineDice(thresholds.classifier), truth, 'positives'),
    },
    bootstrap,
  );
  const positives = records.filter((r) => r.label === 1).length;
  return {
    name,
    images: records.length,
    positives,
    negatives: records.length - positives,
    ...intervals,
    warnings: groupWarnings(records.length, positives, records.length - positives),
  };
}

export interface SubgroupFamilyStudy {
  key: string;
  title: string;
  source: AttributeSource;
  /** How the groups are formed, where it is not simply "the images with this value". */
  note: string | null;
  groups: SubgroupStudy[];
  /** Evaluated images the source says nothing about (no header, no row, unreadable value). */
  unknown: number;
}

export function familyStudy(
  family: AttributeFamily,
  records: readonly PipelineRecord[],
  thresholds: BundleThresholds,
  bootstrap: BootstrapOptions,
): SubgroupFamilyStudy {
  const groupOf = (r: PipelineRecord) => family.groupOf.get(r.imageId) ?? null;
  const inGroup = (r: PipelineRecord, g: string) =>
    groupOf(r) === g || (family.negativesInEveryGroup === true && r.label === 0);
  return {
    key: family.key,
    title: family.title,
    source: family.source,
    note: family.negativesInEveryGroup
      ? 'each band holds its own positives and every negative, so its AUC asks how well that size is told from no finding'
      : null,
    groups: family.groups.map((g) =>
      subgroupStudy(
        g,
        records.filter((r) => inGroup(r, g)),
        thresholds,
        bootstrap,
      ),
    ),
    unknown: records.filter((r) => groupOf(r) === null && !(family.negativesInEveryGroup && r.label === 0)).length,
  };
}
