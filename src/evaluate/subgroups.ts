// Figures of each stage on a subgroup of the test images (with or without a chest drain, one mask-size
// band...), at the bundle's frozen thresholds. A recipe that learned a device instead of the finding,
// or that finds only large pneumothoraces, shows it here and not in the overall figures.
import { rocAuc } from '../metrics/classification.js';
import { scoreColumns } from '../metrics/scored-label.js';
import type { BundleThresholds } from '../pipeline/bundle-manifest.js';
import { evaluateAtBundleThresholds } from './bundle-point.js';
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
