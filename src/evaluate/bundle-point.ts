// What the bundle does on these images with its own, frozen thresholds: the figures an evaluation
// leads with. A threshold picked on the very images it is reported on would be tuning on the test set,
// so that one is reported separately, as an optimistic bound (operating-point.ts).
//
// Two stages are named apart:
// - the classifier alone calls an image positive when p >= the classifier threshold;
// - the pipeline calls it positive only when the classifier passes it AND a mask survives the pixel
//   threshold and the minimum area (what a user of `pneumo predict` sees as "pneumothorax").
// Dice on positive images is given for the segmenter alone (its mask whatever the classifier says)
// and for the whole pipeline (an image the pipeline calls negative scores 0).
import { metricsFromConfusion, type ConfusionMatrix, type ThresholdMetrics } from '../metrics/classification.js';
import type { BundleThresholds } from '../pipeline/bundle-manifest.js';
import { emptyMaskDice, type PipelineRecord } from './threshold-sweep.js';

export interface BundlePointEvaluation {
  thresholds: BundleThresholds;
  /** The classifier alone at the bundle's classifier threshold. */
  classifier: ThresholdMetrics;
  /** The two-stage pipeline: positive when the classifier passes the image and a mask survives. */
  pipeline: ThresholdMetrics;
  /** Mean per-image Dice of the pipeline over every image (ARCHITECTURE.md, "SIIM score"). */
  siimScore: number | null;
  /** Mean Dice over the truly positive images. */
  dicePositive: { segmenter: number | null; pipeline: number | null };
}

function count(records: readonly PipelineRecord[], calledPositive: (r: PipelineRecord) => boolean): ConfusionMatrix {
  const m: ConfusionMatrix = { truePositives: 0, falsePositives: 0, trueNegatives: 0, falseNegatives: 0 };
  for (const r of records) {
    const called = calledPositive(r);
    if (r.label === 1 && called) m.truePositives++;
    else if (r.label === 1) m.falseNegatives++;
    else if (called) m.falsePositives++;
    else m.trueNegatives++;
  }
  return m;
}

const mean = (values: readonly number[]): number | null =>
  values.length === 0 ? null : values.reduce((a, b) => a + b, 0) / values.length;

export function evaluateAtBundleThresholds(
  records: readonly PipelineRecord[],
  thresholds: BundleThresholds,
): BundlePointEvaluation {
  const t = thresholds.classifier;
  const passes = (r: PipelineRecord) => r.probability >= t;
  const pipelineScore = (r: PipelineRecord) => (passes(r) ? r.segmentedDice : emptyMaskDice(r.label));
  const positives = records.filter((r) => r.label === 1);
  return {
    thresholds,
    classifier: metricsFromConfusion(count(records, passes), t),
    pipeline: metricsFromConfusion(
      count(records, (r) => passes(r) && r.maskFound),
      t,
    ),
    siimScore: mean(records.map(pipelineScore)),
    dicePositive: {
      segmenter: mean(positives.map((r) => r.segmentedDice)),
      pipeline: mean(positives.map(pipelineScore)),
    },
  };
}
