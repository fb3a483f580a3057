// An evaluation as a clinical study reports it: every lead figure with a 95% interval (stratified
// bootstrap, and DeLong's for the AUC), the standard operating points (sensitivity at a specificity
// floor and the reverse) beside the bundle's own, calibration before and after the bundle's
// temperature, subgroups from the images themselves, and the device shortcut probe. Pure: predictions
// and attributes in, plain numbers out.
import {
  bootstrapIntervals,
  DEFAULT_BOOTSTRAP_SEED,
  DEFAULT_RESAMPLES,
  type BootstrapOptions,
  type Interval,
} from '../metrics/bootstrap.js';
import {
  applyTemperature,
  fitTemperature,
  summariseCalibration,
  type CalibrationSummary,
} from '../metrics/calibration.js';
import { delongAuc, type DelongAuc } from '../metrics/delong.js';
import { sensitivityAtSpecificity, specificityAtSensitivity } from '../metrics/operating-points.js';
import type { BundleCalibration, BundleManifest, BundleThresholds } from '../pipeline/bundle-manifest.js';
import type { AttributeFamily } from './image-attributes.js';
import { shortcutProbe, type ShortcutProbe } from './shortcut-probe.js';
import {
  aucStatistic,
  meanStatistic,
  operatingPointStatistic,
  rateStatistic,
  RecordColumns,
  type Rate,
} from './study-statistics.js';
import { familyStudy, type SubgroupFamilyStudy } from './subgroups.js';
import type { PipelineRecord } from './threshold-sweep.js';

export interface StudyOptions {
  /** Bootstrap resamples; 0 leaves every interval null. Default 1000. */
  resamples?: number;
  seed?: number;
}

export type Rates = Record<Rate, Interval>;

export interface OperatingPointFigure {
  name: string;
  /** How the threshold is found: a named point of the bundle, or a floor on the ROC curve. */
  rule: 'bundle' | 'sensitivity-at-specificity' | 'specificity-at-sensitivity';
  target: number | null;
  /** The classifier threshold on these images (the bundle's, or the one the floor picks here). */
  threshold: number | null;
  sensitivity: Interval;
  specificity: Interval;
}

export interface CalibrationFigures {
  bins: number;
  uncalibrated: CalibrationSummary;
  /** With the bundle's calibration applied; null when the bundle has none. */
  calibrated: (CalibrationSummary & { calibration: BundleCalibration }) | null;
  /** The temperature that would fit these very images best: a reference, tuned on the set it is reported on. */
  temperatureFittedHere: number | null;
}

export interface StudyFigures {
  bootstrap: { method: 'stratified percentile'; resamples: number; seed: number; level: number };
  auc: { estimate: number | null; bootstrap: Interval; delong: DelongAuc | null };
  atBundleThresholds: {
    threshold: number;
    classifier: Rates;
    pipeline: Rates;
    siimScore: Interval;
    /** The pipeline's mean Dice on positives (a missed image scores 0). */
    dicePositive: Interval;
  };
  operatingPoints: OperatingPointFigure[];
  calibration: CalibrationFigures;
  subgroups: SubgroupFamilyStudy[];
  shortcuts: ShortcutProbe[];
}

export const FLOORS: readonly number[] = [0.9, 0.95];

/** The bundle's own named operating points; today one, its thresholds' classifier threshold. */
export function namedOperatingPoints(
  manifest: Pick<BundleManifest, 'thresholds'>,
): { name: string; threshold: number }[] {
  return [{ name: "bundle's thresholds", threshold: manifest.thresholds.classifier }];
}

function ratesAt(
  columns: RecordColumns,
  t: number,
  stage: 'classifier' | 'pipeline',
  bootstrap: BootstrapOptions,
): Rates {
  const called = columns.called(t, stage);
  const rate = (r: Rate) => rateStatistic(columns.truth, called, r);
  return bootstrapIntervals(
    columns.truth,
    { sensitivity: rate('sensitivity'), specificity: rate('specificity'), ppv: rate('ppv'), npv: rate('npv') },
    bootstrap,
  );
}

function operatingPoints(
  columns: RecordColumns,
  named: readonly { name: string; threshold: number }[],
  bootstrap: BootstrapOptions,
): OperatingPointFigure[] {
  const points: OperatingPointFigure[] = named.map((p) => {
    const r = ratesAt(columns, p.threshold, 'classifier', bootstrap);
    return {
      name: p.name,
      rule: 'bundle',
      target: null,
      threshold: p.threshold,
      sensitivity: r.sensitivity,
      specificity: r.specificity,
    };
  });
  const rules = [
    { rule: 'sensitivity-at-specificity', name: 'sensitivity at specificity', at: sensitivityAtSpecificity },
    { rule: 'specificity-at-sensitivity', name: 'specificity at sensitivity', at: specificityAtSensitivity },
  ] as const;
  for (const { rule, name, at } of rules)
    for (const floor of FLOORS) {
      const statistic = (rate: 'sensitivity' | 'specificity') => operatingPointStatistic(columns, rule, floor, rate);
      const iv = bootstrapIntervals(
        columns.truth,
        { sensitivity: statistic('sensitivity'), specificity: statistic('specificity') },
        bootstrap,
      );
      const threshold = at(columns.scores, columns.truth, floor)?.threshold ?? null;
      points.push({ name: `${name} ${floor}`, rule, target: floor, threshold, ...iv });
    }
  return points;
}

export const CALIBRATION_BINS = 10;

export function calibrationFigures(
  columns: RecordColumns,
  calibration: BundleCalibration | undefined,
): CalibrationFigures {
  const p = columns.scores;
  const y = columns.truth;
  const calibrated = calibration
    ? {
        ...summariseCalibration(
          p.map((v) => applyTemperature(v, calibration.temperature)),
          y,
          CALIBRATION_BINS,
        ),
        calibration,
      }
    : null;
  return {
    bins: CALIBRATION_BINS,
    uncalibrated: summariseCalibration(p, y, CALIBRATION_BINS),
    calibrated,
    temperatureFittedHere: p.length > 0 ? fitTemperature(p, y) : null,
  };
}

export function studyFigures(
  records: readonly PipelineRecord[],
  manifest: Pick<BundleManifest, 'thresholds' | 'calibration'>,
  families: readonly AttributeFamily[],
  options: StudyOptions = {},
): StudyFigures {
  const bootstrap: BootstrapOptions = {
    resamples: options.resamples ?? DEFAULT_RESAMPLES,
    seed: options.seed ?? DEFAULT_BOOTSTRAP_SEED,
    level: 0.95,
  };
  const thresholds: BundleThresholds = manifest.thresholds;
  const columns = new RecordColumns(records);
  const t = thresholds.classifier;
  const lead = bootstrapIntervals(
    columns.truth,
    {
      auc: aucStatistic(columns),
      siimScore: meanStatistic(columns.pipelineDice(t), columns.truth, 'all'),
      dicePositive: meanStatistic(columns.pipelineDice(t), columns.truth, 'positives'),
    },
    bootstrap,
  );
  return {
    bootstrap: { method: 'stratified percentile', resamples: bootstrap.resamples!, seed: bootstrap.seed!, level: 0.95 },
    auc: { estimate: lead.auc.estimate, bootstrap: lead.auc, delong: delongAuc(columns.scores, columns.truth) },
    atBundleThresholds: {
      threshold: t,
      classifier: ratesAt(columns, t, 'classifier', bootstrap),
      pipeline: ratesAt(columns, t, 'pipeline', bootstrap),
      siimScore: lead.siimScore,
      dicePositive: lead.dicePositive,
    },
    operatingPoints: operatingPoints(columns, namedOperatingPoints(manifest), bootstrap),
    calibration: calibrationFigures(columns, manifest.calibration),
    subgroups: families.map((f) => familyStudy(f, records, thresholds, bootstrap)),
    shortcuts: families.filter((f) => f.device).map((f) => shortcutProbe(f, records, bootstrap)),
  };
}
