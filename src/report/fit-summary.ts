// What `pneumo fit`'s report shows: the plan (a preset with its overrides) and what the job measured.
// src/fit/ fills these in; the report only writes them.
import type { Precision } from '../torch/compute-names.js';
import type { BundleThresholds } from '../pipeline/bundle-manifest.js';
import type { StageRecipe } from './demo-summary.js';
import type { RunTrainingResult } from '../train/run-training.js';

/** The recipe of a fit: every setting the job uses, as plain data. */
export interface FitPlan {
  /** The preset it started from (cpu, gpu-512, gpu-1024). */
  preset: string;
  /** Input side of both models. */
  inputSize: number;
  precision: Precision;
  /** auto, cpu, cuda or cuda:N. */
  device: string;
  segmenter: StageRecipe;
  /** Starts from the segmenter's weights of the same fold. */
  classifier: StageRecipe;
  /** 1: one stratified train/validation split; K >= 2: K folds grouped by PatientID, an ensemble. */
  folds: number;
  /** Share of the images held out for validation when folds is 1. */
  valFraction: number;
  seed: number;
  /** Encoder weights the segmenter starts from: null, `imagenet`, a catalog name or a file. */
  pretrained: string | null;
  /** How the label file's run starts are read: relative (SIIM), absolute, or auto. */
  rle: 'relative' | 'absolute' | 'auto';
  /** Stop each epoch after this many batches (smoke runs, benchmarks); null: whole epochs. */
  maxBatchesPerEpoch: number | null;
}

/** A finished training run as the report needs it (the state file keeps it across restarts). */
export type TrainedRunSummary = Pick<
  RunTrainingResult,
  'run' | 'best' | 'kept' | 'monitor' | 'epochsRun' | 'trainImages' | 'validationImages'
> & { plots: string[] };

export interface FitFoldSummary {
  fold: number;
  validationImages: number;
  validationPositives: number;
  patients: number;
}

export interface FitResult {
  out: string;
  data: string;
  plan: FitPlan;
  /** The per-fold split (empty when folds is 1). */
  folds: FitFoldSummary[];
  /** Images whose PatientID was missing (each is its own patient). */
  imagesWithoutPatientId: number;
  segmenters: TrainedRunSummary[];
  classifiers: TrainedRunSummary[];
  /** Where the thresholds were chosen: the validation split or the out-of-fold predictions. */
  operatingPoint: {
    on: 'validation' | 'out-of-fold';
    images: number;
    rocAuc: number | null;
    dicePositive: number | null;
    siimScore: number | null;
    description: string;
  };
  thresholds: BundleThresholds;
  test: { images: number; submission: string; evaluation: string | null; siimScore: number | null } | null;
  seconds: Record<string, number>;
  files: Record<string, string>;
  failures: string[];
}
