// The device shortcut probe: a classifier that learned "a chest drain means pneumothorax" scores
// negatives with a drain higher than negatives without one, and its AUC among images with the device
// is lower than among images without it (the drain no longer separates anything there). For every
// device an attribute family names (synth.json, or a yes/no column of --groups), the probe gives the
// score distribution of negatives with and without it, the Mann-Whitney shift between the two
// (0.5: no shift), and the AUC within each side with its bootstrap interval.
import { bootstrapIntervals, type BootstrapOptions, type Interval } from '../metrics/bootstrap.js';
import { rocAuc } from '../metrics/classification.js';
import type { AttributeFamily, AttributeSource } from './image-attributes.js';
import { binCounts } from './segmentation-analysis.js';
import { aucStatistic, RecordColumns } from './study-statistics.js';
import { groupWarnings } from './subgroups.js';
import type { PipelineRecord } from './threshold-sweep.js';

export const PROBE_BINS = 20;

export interface NegativeScores {
  images: number;
  meanProbability: number | null;
  /** Counts of the classifier probability in PROBE_BINS bins over [0, 1]. */
  histogram: number[];
}

export interface ShortcutSide {
  images: number;
  positives: number;
  auc: Interval;
  warnings: string[];
}

export interface ShortcutProbe {
  device: string;
  source: AttributeSource;
  negativesWith: NegativeScores;
  negativesWithout: NegativeScores;
  /** P(a negative with the device scores above one without; ties one half): 0.5 when the device moves nothing. */
  negativeShift: number | null;
  with: ShortcutSide;
  without: ShortcutSide;
}

function negativeScores(records: readonly PipelineRecord[]): NegativeScores {
  const p = records.filter((r) => r.label === 0).map((r) => r.probability);
  return {
    images: p.length,
    meanProbability: p.length === 0 ? null : p.reduce((a, b) => a + b, 0) / p.length,
    histogram: binCounts(p, PROBE_BINS),
  };
}

function side(records: readonly PipelineRecord[], bootstrap: BootstrapOptions): ShortcutSide {
  const columns = new RecordColumns(records);
  const positives = records.filter((r) => r.label === 1).length;
  return {
    images: records.length,
    positives,
    auc: bootstrapIntervals(columns.truth, { auc: aucStatistic(columns) }, bootstrap).auc,
    warnings: groupWarnings(records.length, positives, records.length - positives),
  };
}

export function shortcutProbe(
  family: AttributeFamily,
  records: readonly PipelineRecord[],
  bootstrap: BootstrapOptions,
): ShortcutProbe {
  if (!family.device) throw new Error(`shortcut probe: ${family.key} names no device`);
  const [withName, withoutName] = family.groups;
  const withDevice = records.filter((r) => family.groupOf.get(r.imageId) === withName);
  const withoutDevice = records.filter((r) => family.groupOf.get(r.imageId) === withoutName);
  const negWith = withDevice.filter((r) => r.label === 0).map((r) => r.probability);
  const negWithout = withoutDevice.filter((r) => r.label === 0).map((r) => r.probability);
  return {
    device: family.device,
    source: family.source,
    negativesWith: negativeScores(withDevice),
    negativesWithout: negativeScores(withoutDevice),
    negativeShift: rocAuc([...negWith, ...negWithout], [...negWith.map(() => 1), ...negWithout.map(() => 0)]),
    with: side(withDevice, bootstrap),
    without: side(withoutDevice, bootstrap),
  };
}
