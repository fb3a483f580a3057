// The int8 export: each model's fp32 export, calibrated on films made through the bundle's own input
// contract (min/max of every quantised activation, calibrate-onnx.ts), rewritten as a QDQ model
// (qdq-quantize.ts). The calibration films are taken evenly spread over the sorted list of images
// found under the given folders, so the same data gives the same file.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { readImage } from '../data/image-io.js';
import { modelInputBatch, type ModelInput } from '../data/model-input.js';
import { collectInputs } from '../pipeline/input-files.js';
import { calibrateActivations, type CalibrationInput } from './calibrate-onnx.js';
import { ExportError } from './export-error.js';
import { quantiseQdq } from './qdq-quantize.js';

export const DEFAULT_CALIBRATION_IMAGES = 32;

export interface CalibrationOptions {
  /** Folders or files holding films (DICOM, PNG, JPEG). */
  data: readonly string[];
  /** How many films to calibrate on (at most). */
  images?: number;
  /** ONNX Runtime's threads while calibrating (the engine's by default). */
  threads?: number;
}

export interface CalibrationSet {
  files: string[];
  /** Films that could not be read, with the reason (the others are used). */
  skipped: { file: string; reason: string }[];
}

/** `count` files evenly spread over `files` (all when there are fewer). */
export function spreadSample<T>(files: readonly T[], count: number): T[] {
  if (files.length <= count) return [...files];
  return Array.from({ length: count }, (_, i) => files[Math.floor(((i + 0.5) * files.length) / count)]);
}

/** The calibration films: found under `data`, sampled; an empty set is an error naming the folders. */
export async function calibrationFiles(options: CalibrationOptions): Promise<string[]> {
  const { files, problems } = await collectInputs(options.data);
  if (files.length === 0)
    throw new ExportError(
      `calibration data ${options.data.join(', ')}: ${problems.map((p) => p.reason).join('; ') || 'no films found'}`,
    );
  return spreadSample(files, options.images ?? DEFAULT_CALIBRATION_IMAGES);
}

/** Calibration inputs for one model's contract, one film at a time (unreadable films are skipped and listed). */
async function* contractInputs(
  files: readonly string[],
  input: ModelInput,
  skipped: CalibrationSet['skipped'],
): AsyncGenerator<CalibrationInput> {
  for (const file of files) {
    let image;
    try {
      image = await readImage(file);
    } catch (err) {
      skipped.push({ file, reason: (err as Error).message });
      continue;
    }
    yield { data: modelInputBatch([image], input), dims: [1, 1, input.height, input.width] };
  }
}

/** sha256 of a bundle's weights file: the int8 file records it, so that a runtime can tell it belongs to the bundle. */
export function weightsFingerprint(file: string): string {
  return createHash('sha256').update(readFileSync(file)).digest('hex');
}

/** The int8 QDQ model of one fp32 export, calibrated on `files` made through `input`. */
export async function int8Model(
  fp32: Uint8Array,
  input: ModelInput,
  files: readonly string[],
  threads: number,
  weightsSha256?: string,
): Promise<{ bytes: Uint8Array; skipped: CalibrationSet['skipped']; images: number }> {
  const skipped: CalibrationSet['skipped'] = [];
  const ranges = await calibrateActivations(fp32, contractInputs(files, input, skipped), threads);
  const images = files.length - skipped.length;
  const bytes = quantiseQdq(fp32, ranges, {
    format: 'qdq',
    activations: 'uint8 asymmetric, per tensor',
    weights: 'int8 symmetric, per output channel',
    calibration: 'min/max',
    calibrationImages: images,
    ...(weightsSha256 ? { weightsSha256 } : {}),
  });
  return { bytes, skipped, images };
}
