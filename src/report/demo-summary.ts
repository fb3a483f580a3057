// What the demo's report shows: the plan a run followed and the figures it measured. The demo
// (src/demo/) fills these in; the report only writes them.
import type { StudyFigures } from '../evaluate/study.js';
import type { BundleThresholds } from '../pipeline/bundle-manifest.js';
import type { SubgroupFigures } from '../evaluate/subgroups.js';
import type { TrainConfig } from '../train/config.js';
import type { Precision } from '../torch/compute-names.js';

export type DemoSize = 'tiny' | 'small' | 'full';

export interface DemoPlan {
  size: DemoSize;
  /** Images of the training set (split into training and validation parts). */
  images: number;
  /** Images of the independent test set (another seed), on which the headline numbers are measured. */
  testImages: number;
  /** Side of the synthetic DICOMs (SIIM: 1024). */
  imageSide: number;
  /** Input side of both models. */
  inputSize: number;
  segmenter: StageRecipe;
  classifier: StageRecipe;
  /** Precision of training and evaluation when the run does not ask for one (--precision). */
  precision: Precision;
  /** Test-set images whose overlays are written by the two-stage prediction. */
  predictImages: number;
  /**
   * Chest-drain rates per class of the training and of the test set. The test set reverses the link
   * (drains mostly with positives in training, mostly with negatives in test): the shortcut test.
   */
  tubeRates: { train: ClassRates; test: ClassRates };
  /** Targets of issue 17 that the report checks the run against (null: no target at this size). */
  targets: {
    rocAuc: number;
    /** The classifier's ROC AUC on the test images that carry a chest drain. */
    rocAucWithTubes: number;
    dicePositive: number;
    siimMarginOverEmpty: number;
  } | null;
}

/** Settings beyond the training defaults that a stage's recipe changes (augmentation, loss, sampling). */
export type RecipeSettings = Partial<
  Pick<
    TrainConfig,
    | 'augment'
    | 'loss'
    | 'positiveFraction'
    | 'smallMaskSampling'
    | 'modelOptions'
    | 'auxLossWeight'
    | 'weightDecay'
    | 'keepWeights'
    | 'validateEvery'
  >
>;

export interface StageRecipe {
  model: string;
  epochs: number;
  batch: number;
  lr: number;
  settings?: RecipeSettings;
}

export interface ClassRates {
  positive: number;
  negative: number;
}

/** The figures the report leads with, all measured on the independent test set at the bundle's thresholds. */
export interface StageRates {
  recall: number | null;
  specificity: number | null;
  precision: number | null;
}

export interface DemoHeadline {
  rocAuc: number | null;
  prAuc: number | null;
  threshold: number;
  thresholdObjective: string;
  /** The classifier alone: positive when p >= the threshold. */
  classifier: StageRates;
  /** The pipeline: positive when the classifier passes the image and a mask survives post-processing. */
  pipeline: StageRates;
  /** Mean Dice on the truly positive images: of the segmenter alone, and of the whole pipeline (misses score 0). */
  dicePositive: { segmenter: number | null; pipeline: number | null };
  /** The pipeline's SIIM score (mean per-image Dice over every test image). */
  siimScore: number | null;
  /** The SIIM score of predicting every image empty: the share of negatives. */
  allEmptyScore: number;
}

export interface TargetCheck {
  name: string;
  target: string;
  value: string;
  met: boolean;
}

export interface DemoResult {
  out: string;
  plan: DemoPlan;
  seed: number;
  /** The precision training and evaluation ran in (the plan's unless --precision chose another). */
  precision: Precision;
  headline: DemoHeadline;
  validation: {
    rocAuc: number | null;
    /** Dice of the segmenter alone on the validation positives. */
    dicePositive: number | null;
    /** The pipeline's SIIM score at the thresholds chosen there (tuned on these images: optimistic). */
    siimScore: number | null;
    operatingPoint: string;
  };
  thresholds: BundleThresholds;
  /** Each stage on the test images with and without a chest drain, and per mask-size band. */
  subgroups: { tubes: SubgroupFigures[]; sizeBands: SubgroupFigures[] };
  /** The test evaluation as a clinical study reports it (intervals, calibration, subgroups, shortcut probe). */
  testStudy: StudyFigures;
  targets: TargetCheck[];
  /** Wall-clock seconds per stage, and prediction speed. */
  seconds: Record<string, number>;
  prediction: { imagesPerSecond: number; secondsPerImage: number };
  siimSample: {
    images: number;
    /** Images the labels call positive, and the score of calling every image empty. */
    positives: number;
    allEmptyScore: number | null;
    score: number | null;
    predictedPositive: number;
    /** The sample's label CSV, whose masks the report draws beside the predictions. */
    labels?: string;
  } | null;
  files: Record<string, string>;
  failures: string[];
}
