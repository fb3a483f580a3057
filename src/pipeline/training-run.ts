// What a bundle needs from a training run folder: RUN/run.json (read by its one reader,
// src/train/run-manifest.ts) and the best weights it names.
import { stat } from 'node:fs/promises';
import path from 'node:path';
import type { ModelConfig } from './model-contract.js';
import type { ModelInput } from '../data/model-input.js';
import {
  readRunManifest,
  RunManifestError,
  RUN_MANIFEST,
  type ProposedThreshold,
  type RunManifest,
} from '../train/run-manifest.js';

export class TrainingRunError extends Error {
  override name = 'TrainingRunError';
  constructor(
    readonly run: string,
    reason: string,
  ) {
    super(`run ${run}: ${reason}`);
  }
}

export interface TrainingRun {
  dir: string;
  architecture: string;
  config: ModelConfig;
  input: ModelInput;
  /** Absolute path of the best weights. */
  weights: string;
  /** The classifier threshold the run proposed on validation, and the rule that chose it. */
  threshold: ProposedThreshold | null;
  /** The validation split as training made it. */
  split: { validationFraction: number; seed: number };
  /** The data folder the run trained on. */
  data: string;
  /** The images the run trained and validated on, when run.json lists them (provenance.dataset). */
  images: { training: string[]; validation: string[] } | null;
  /** run.json as read. */
  manifest: RunManifest;
}

const isIdList = (v: unknown): v is string[] => Array.isArray(v) && v.every((id) => typeof id === 'string');

/** The id lists of run.json's provenance (dataset.trainIds, dataset.validationIds), when both are there. */
function imagesOf(manifest: RunManifest): TrainingRun['images'] {
  const dataset = manifest.provenance.dataset as { trainIds?: unknown; validationIds?: unknown } | null | undefined;
  if (!dataset || !isIdList(dataset.trainIds) || !isIdList(dataset.validationIds)) return null;
  return { training: dataset.trainIds, validation: dataset.validationIds };
}

export async function readTrainingRun(dir: string): Promise<TrainingRun> {
  const run = path.resolve(dir);
  const info = await stat(run).catch(() => null);
  if (!info?.isDirectory()) throw new TrainingRunError(dir, 'no such run folder');
  let manifest: RunManifest;
  try {
    manifest = readRunManifest(run);
  } catch (err) {
    if (err instanceof RunManifestError) throw new TrainingRunError(dir, err.message.replace(`${run}${path.sep}`, ''));
    throw err;
  }
  const weights = path.join(run, manifest.weights);
  if (!(await stat(weights).catch(() => null))?.isFile())
    throw new TrainingRunError(dir, `no best weights: ${RUN_MANIFEST} names ${manifest.weights}, which is not there`);
  return {
    dir: run,
    architecture: manifest.model.name,
    config: manifest.model.config,
    input: manifest.input,
    weights,
    threshold: manifest.threshold,
    split: { validationFraction: manifest.data.valFraction, seed: manifest.data.splitSeed },
    data: manifest.data.folder,
    images: imagesOf(manifest),
    manifest,
  };
}
