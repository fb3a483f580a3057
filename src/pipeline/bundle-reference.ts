// The validation set's score distributions, kept in the bundle so that `serve` can tell when what it
// sees drifts away from what the model was validated on: the classifier's own (uncalibrated)
// probabilities and, when the bundle has an input gate, the out-of-distribution scores. One small
// file, BUNDLE/reference.json; bundle.json names it with its SHA-256 and counts (BundleManifest.reference).
// writeReferenceDistribution() is what the bundle-making step (or `evaluate --write-bundle` on a
// validation split, for an existing bundle) calls; readReferenceDistribution() is serve's reader.
import { createHash } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { writeJsonAtomic } from '../atomic-file.js';
import { BUNDLE_MANIFEST, BundleError, validateManifest, type BundleReferenceEntry } from './bundle-manifest.js';
import { readBundleManifest } from './bundle.js';

export const BUNDLE_REFERENCE_FILE = 'reference.json';
const FORMAT = 'pneumo.bundle-reference/1';

export interface ReferenceDistribution {
  /** The classifier's own probabilities (before any calibration), one per validation image. */
  probabilities: number[];
  /** The input gate's out-of-distribution scores of the same images; null without a gate. */
  oodScores: number[] | null;
  /** Which images, in words. */
  source: string;
}

function checkValues(values: ReferenceDistribution, where: string): string[] {
  const problems: string[] = [];
  if (values.probabilities.length === 0) problems.push(`${where}: no probabilities`);
  values.probabilities.forEach((p, i) => {
    if (!(typeof p === 'number' && p >= 0 && p <= 1))
      problems.push(`${where}: probability ${i} is ${p}, not in [0, 1]`);
  });
  values.oodScores?.forEach((s, i) => {
    if (!(typeof s === 'number' && Number.isFinite(s))) problems.push(`${where}: OOD score ${i} is ${s}, not a number`);
  });
  return problems.slice(0, 5);
}

/** Writes reference.json into a bundle folder (also one being made) and returns bundle.json's entry for it. */
export async function writeReferenceFile(dir: string, values: ReferenceDistribution): Promise<BundleReferenceEntry> {
  const problems = checkValues(values, BUNDLE_REFERENCE_FILE);
  if (problems.length > 0) throw new BundleError(dir, problems);
  const text =
    JSON.stringify({
      format: FORMAT,
      source: values.source,
      probabilities: values.probabilities,
      oodScores: values.oodScores,
    }) + '\n';
  await writeFile(path.join(dir, BUNDLE_REFERENCE_FILE), text);
  return {
    file: BUNDLE_REFERENCE_FILE,
    sha256: createHash('sha256').update(text).digest('hex'),
    n: values.probabilities.length,
    ood: values.oodScores !== null,
    source: values.source,
  };
}

/** Adds (or replaces) the reference distributions of an existing bundle; bundle.json is rewritten atomically. */
export async function writeReferenceDistribution(
  bundleDir: string,
  values: ReferenceDistribution,
): Promise<BundleReferenceEntry> {
  const manifest = await readBundleManifest(bundleDir);
  const reference = await writeReferenceFile(bundleDir, values);
  const updated = { ...manifest, reference };
  validateManifest(updated, bundleDir);
  writeJsonAtomic(path.join(bundleDir, BUNDLE_MANIFEST), updated);
  return reference;
}

const isNumberList = (v: unknown): v is number[] => Array.isArray(v) && v.every((x) => typeof x === 'number');

/** Reads the file bundle.json's entry names, checking its digest; a file that does not match is an error. */
export async function readReferenceDistribution(
  bundleDir: string,
  entry: BundleReferenceEntry,
): Promise<ReferenceDistribution> {
  let text: string;
  try {
    text = await readFile(path.join(bundleDir, entry.file), 'utf8');
  } catch {
    throw new BundleError(bundleDir, [
      `${entry.file} is missing (bundle.json names it as the reference distributions)`,
    ]);
  }
  if (createHash('sha256').update(text).digest('hex') !== entry.sha256)
    throw new BundleError(bundleDir, [
      `${entry.file} does not match the SHA-256 in bundle.json (changed after bundling?)`,
    ]);
  let json: Record<string, unknown>;
  try {
    json = JSON.parse(text) as Record<string, unknown>;
  } catch {
    throw new BundleError(bundleDir, [`${entry.file} is not JSON`]);
  }
  if (
    json.format !== FORMAT ||
    typeof json.source !== 'string' ||
    !isNumberList(json.probabilities) ||
    !(json.oodScores === null || isNumberList(json.oodScores))
  )
    throw new BundleError(bundleDir, [`${entry.file} is not a ${FORMAT} file`]);
  const values = { probabilities: json.probabilities, oodScores: json.oodScores, source: json.source };
  const problems = checkValues(values, entry.file);
  if (problems.length > 0) throw new BundleError(bundleDir, problems);
  return values;
}
