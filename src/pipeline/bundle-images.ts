// The images a bundle's models were trained and validated on, so that an evaluation can tell when its
// "validation" images are in fact training images (another label file, another split). The id lists
// come from each run's run.json (provenance.dataset.trainIds and validationIds) and are kept in their own
// file, BUNDLE/images.json, because a SIIM-sized list is a megabyte; bundle.json holds only the file
// name, its SHA-256 and the counts (BundleManifest.images).
import { createHash } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { BundleError, type BundleImagesEntry } from './bundle-manifest.js';
import type { TrainingRun } from './training-run.js';

export const BUNDLE_IMAGES_FILE = 'images.json';
const FORMAT = 'pneumo.bundle-images/1';

export interface RoleImages {
  training: string[];
  validation: string[];
}

export interface BundleImages {
  classifier: RoleImages | null;
  segmenter: RoleImages | null;
}

/** Images either model was trained on: the set an honest validation must not touch. */
export function trainingImageIds(images: BundleImages): Set<string> {
  return new Set([...(images.classifier?.training ?? []), ...(images.segmenter?.training ?? [])]);
}

/**
 * A role's images over its runs (one, or the folds of an ensemble): trained on by any member, and
 * validated on by some member while trained on by none (so an ensemble of K folds has none left).
 */
function roleImagesOf(runs: readonly TrainingRun[]): RoleImages | null {
  if (runs.every((r) => !r.images)) return null;
  const training = new Set(runs.flatMap((r) => r.images?.training ?? []));
  const validation = new Set(runs.flatMap((r) => r.images?.validation ?? []).filter((id) => !training.has(id)));
  return { training: [...training], validation: [...validation] };
}

/**
 * Writes images.json into the bundle folder being made and returns bundle.json's entry for it; null
 * (and no file) when no run recorded its images (runs made before they did).
 */
export async function writeBundleImages(
  dir: string,
  classifierRuns: readonly TrainingRun[],
  segmenterRuns: readonly TrainingRun[],
): Promise<BundleImagesEntry | null> {
  const images: BundleImages = { classifier: roleImagesOf(classifierRuns), segmenter: roleImagesOf(segmenterRuns) };
  if (!images.classifier && !images.segmenter) return null;
  const text = JSON.stringify({ format: FORMAT, ...images }) + '\n';
  await writeFile(path.join(dir, BUNDLE_IMAGES_FILE), text);
  return {
    file: BUNDLE_IMAGES_FILE,
    sha256: createHash('sha256').update(text).digest('hex'),
    training: trainingImageIds(images).size,
    validation: new Set([...(images.classifier?.validation ?? []), ...(images.segmenter?.validation ?? [])]).size,
  };
}

const isIdList = (v: unknown): v is string[] => Array.isArray(v) && v.every((id) => typeof id === 'string');

function roleImages(value: unknown): RoleImages | null {
  if (value === null || value === undefined) return null;
  const v = value as { training?: unknown; validation?: unknown };
  if (typeof value !== 'object' || !isIdList(v.training) || !isIdList(v.validation)) throw new Error('malformed');
  return { training: v.training, validation: v.validation };
}

/** Reads the file bundle.json's entry names, checking its digest; a file that does not match is an error. */
export async function readBundleImages(dir: string, entry: BundleImagesEntry): Promise<BundleImages> {
  let text: string;
  try {
    text = await readFile(path.join(dir, entry.file), 'utf8');
  } catch {
    throw new BundleError(dir, [`${entry.file} is missing (bundle.json names it as the training images)`]);
  }
  if (createHash('sha256').update(text).digest('hex') !== entry.sha256)
    throw new BundleError(dir, [`${entry.file} does not match the SHA-256 in bundle.json (changed after bundling?)`]);
  try {
    const json = JSON.parse(text) as Record<string, unknown>;
    if (json.format !== FORMAT) throw new Error('malformed');
    return { classifier: roleImages(json.classifier), segmenter: roleImages(json.segmenter) };
  } catch {
    throw new BundleError(dir, [`${entry.file} is not a ${FORMAT} file`]);
  }
}
