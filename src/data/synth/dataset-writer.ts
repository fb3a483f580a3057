// Writes a whole synthetic SIIM-format dataset: the DICOM tree, train-rle.csv in the real file's
// format, and synth.json with the parameters and the known composition for tests and EDA to check
// against. Images are independent (each from Rng.derive(seed, index)), so worker threads render
// them in any order and the bytes do not depend on the number of workers.
import { mkdir, readdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import { resolveSynthOptions, type SynthOptions } from './options.js';
import { DICOM_FOLDER, writeSynthImage, type SynthImageRecord } from './synth-image.js';
import type { SynthWorkerData, SynthWorkerReply } from './synth-worker.js';

export const LABELS_FILE = 'train-rle.csv';
export const SUMMARY_FILE = 'synth.json';
/** The real train-rle.csv header, space included. */
export const LABELS_HEADER = 'ImageId, EncodedPixels';

export class SynthOutputError extends Error {
  override name = 'SynthOutputError';
}

export interface SynthFailure {
  index: number;
  reason: string;
}

export interface SynthComposition {
  images: number;
  positives: number;
  negatives: number;
  /** Positive images whose pneumothorax is written as several rows (separate parts). */
  multiRowImages: number;
  /** Distinct label rows (one per negative image, one per part of a positive one). */
  maskRows: number;
  /** Extra copies of a row, as the real file has; csvRows = maskRows + duplicateRows. */
  duplicateRows: number;
  csvRows: number;
  duplicateImageIds: string[];
  sex: { M: number; F: number };
  view: { PA: number; AP: number };
  age: {
    min: number;
    max: number;
    mean: number;
    median: number;
    children: number;
    implausible: number;
    implausibleImageIds: string[];
  };
  /** 'right' is the patient's right (image left). */
  side: { right: number; left: number };
  /** Pneumothorax area over image area, for the positives. */
  maskAreaFraction: { min: number; p25: number; median: number; p75: number; max: number } | null;
  /** Images carrying each confounder, per class. */
  confounders: Record<'chestDrain' | 'ecgLeads' | 'skinFold', { positive: number; negative: number }>;
}

export interface SynthSummary {
  generator: 'pneumo synth';
  formatVersion: 1;
  parameters: Omit<SynthOptions, 'workers'>;
  files: { labels: string; dicomFolder: string };
  composition: SynthComposition;
  images: (Omit<SynthImageRecord, 'index' | 'duplicateRow' | 'implausibleAge' | 'rleRows'> & { parts: number })[];
  failures: SynthFailure[];
}

export interface SynthWriteOptions extends Partial<SynthOptions> {
  /** Replace a dataset already in the folder (only its own files: the DICOM tree, CSV and synth.json). */
  force?: boolean;
  onProgress?: (done: number, total: number) => void;
}

async function prepareFolder(outDir: string, force: boolean): Promise<void> {
  let entries: string[] = [];
  try {
    entries = await readdir(outDir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT')
      throw new SynthOutputError(`${outDir}: ${(err as Error).message}`);
  }
  if (entries.length > 0) {
    if (!force)
      throw new SynthOutputError(`${outDir} is not empty; pass force (--force) to replace a synthetic dataset there`);
    for (const name of [DICOM_FOLDER, LABELS_FILE, SUMMARY_FILE])
      await rm(path.join(outDir, name), { recursive: true, force: true });
  }
  await mkdir(outDir, { recursive: true });
}

function median(values: number[]): number {
  return quantile(values, 0.5);
}

/** Linear interpolation between order statistics (NumPy's default). */
function quantile(values: number[], q: number): number {
  const s = values.slice().sort((a, b) => a - b);
  const at = q * (s.length - 1);
  const lo = Math.floor(at);
  return lo + 1 < s.length ? s[lo] + (at - lo) * (s[lo + 1] - s[lo]) : s[lo];
}

function round(value: number, digits = 4): number {
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}

/** The label file exactly as the real one is laid out: `id, RLE` with the space, `id, -1` for negatives. */
export function labelsCsv(records: readonly SynthImageRecord[]): string {
  const lines = [LABELS_HEADER];
  for (const r of records) {
    const rows = r.positive ? r.rleRows : ['-1'];
    for (const rle of rows) lines.push(`${r.imageId}, ${rle}`);
    if (r.duplicateRow) lines.push(`${r.imageId}, ${rows[0]}`);
  }
  return lines.join('\n') + '\n';
}

export function composition(records: readonly SynthImageRecord[], size: number): SynthComposition {
  const positives = records.filter((r) => r.positive);
  const ages = records.map((r) => Number(r.age));
  const maskRows = records.reduce((sum, r) => sum + (r.positive ? r.rleRows.length : 1), 0);
  const duplicates = records.filter((r) => r.duplicateRow);
  const areas = positives.map((r) => r.maskPixels / (size * size));
  const implausible = records.filter((r) => Number(r.age) > 110);
  return {
    images: records.length,
    positives: positives.length,
    negatives: records.length - positives.length,
    multiRowImages: positives.filter((r) => r.rleRows.length > 1).length,
    maskRows,
    duplicateRows: duplicates.length,
    csvRows: maskRows + duplicates.length,
    duplicateImageIds: duplicates.map((r) => r.imageId),
    sex: { M: records.filter((r) => r.sex === 'M').length, F: records.filter((r) => r.sex === 'F').length },
    view: { PA: records.filter((r) => r.view === 'PA').length, AP: records.filter((r) => r.view === 'AP').length },
    age: {
      min: Math.min(...ages),
      max: Math.max(...ages),
      mean: round(ages.reduce((a, b) => a + b, 0) / ages.length, 2),
      median: median(ages),
      children: ages.filter((a) => a < 18).length,
      implausible: implausible.length,
      implausibleImageIds: implausible.map((r) => r.imageId),
    },
    side: {
      right: positives.filter((r) => r.side === 'right').length,
      left: positives.filter((r) => r.side === 'left').length,
    },
    maskAreaFraction: areas.length
      ? {
          min: round(Math.min(...areas), 5),
          p25: round(quantile(areas, 0.25), 5),
          median: round(median(areas), 5),
          p75: round(quantile(areas, 0.75), 5),
          max: round(Math.max(...areas), 5),
        }
      : null,
    confounders: {
      chestDrain: perClass(records, (r) => r.chestDrain !== null),
      ecgLeads: perClass(records, (r) => r.ecgLeads > 0),
      skinFold: perClass(records, (r) => r.skinFold !== null),
    },
  };
}

function perClass(
  records: readonly SynthImageRecord[],
  has: (r: SynthImageRecord) => boolean,
): { positive: number; negative: number } {
  const carrying = records.filter(has);
  return { positive: carrying.filter((r) => r.positive).length, negative: carrying.filter((r) => !r.positive).length };
}

/**
 * Hands out image indices to worker threads one at a time, so a slow image never holds up the rest.
 * A worker that dies takes the batch down with it (a bug, not bad input), after stopping the others.
 */
async function renderInWorkers(
  options: SynthOptions,
  outDir: string,
  onDone: (reply: SynthWorkerReply) => void,
): Promise<void> {
  const workerCount = Math.min(options.workers, options.n);
  const data: SynthWorkerData = { options, outDir };
  const workers = Array.from(
    { length: workerCount },
    () => new Worker(new URL('./synth-worker.js', import.meta.url), { workerData: data }),
  );
  let next = 0;
  try {
    await Promise.all(
      workers.map(
        (worker) =>
          new Promise<void>((resolve, reject) => {
            const feed = () => {
              if (next < options.n) worker.postMessage(next++);
              else resolve();
            };
            worker.on('message', (reply: SynthWorkerReply) => {
              onDone(reply);
              feed();
            });
            worker.on('error', reject);
            worker.on('exit', (code) => reject(new Error(`a synth worker exited early (code ${code})`)));
            worker.on('online', feed);
          }),
      ),
    );
  } finally {
    await Promise.all(workers.map((worker) => worker.terminate()));
  }
}

/**
 * Generates the dataset into `outDir`. A failed image (e.g. a write error) is left out of the CSV
 * and listed in `failures`; the others are still written.
 */
export async function writeSynthDataset(outDir: string, request: SynthWriteOptions = {}): Promise<SynthSummary> {
  const { force = false, onProgress, ...partial } = request;
  const options = resolveSynthOptions(partial);
  await prepareFolder(outDir, force);
  const records: (SynthImageRecord | undefined)[] = new Array(options.n);
  const failures: SynthFailure[] = [];
  let done = 0;
  const accept = (reply: SynthWorkerReply) => {
    if (reply.ok) records[reply.index] = reply.record;
    else failures.push({ index: reply.index, reason: reply.reason });
    onProgress?.(++done, options.n);
  };
  if (options.workers > 0) await renderInWorkers(options, outDir, accept);
  else {
    for (let index = 0; index < options.n; index++) {
      try {
        accept({ index, ok: true, record: await writeSynthImage(options, index, outDir) });
      } catch (err) {
        accept({ index, ok: false, reason: err instanceof Error ? err.message : String(err) });
      }
    }
  }
  const written = records.filter((r): r is SynthImageRecord => r !== undefined);
  failures.sort((a, b) => a.index - b.index);
  const { workers: _workers, ...parameters } = options;
  const summary: SynthSummary = {
    generator: 'pneumo synth',
    formatVersion: 1,
    parameters,
    files: { labels: LABELS_FILE, dicomFolder: DICOM_FOLDER },
    composition: composition(written, options.size),
    images: written.map((r) => ({
      imageId: r.imageId,
      file: r.file,
      positive: r.positive,
      parts: r.rleRows.length,
      maskPixels: r.maskPixels,
      side: r.side,
      sex: r.sex,
      age: r.age,
      view: r.view,
      pixelSpacing: r.pixelSpacing,
      lineContrast: r.lineContrast,
      textureLoss: r.textureLoss,
      chestDrain: r.chestDrain,
      ecgLeads: r.ecgLeads,
      skinFold: r.skinFold,
    })),
    failures,
  };
  await writeFile(path.join(outDir, LABELS_FILE), labelsCsv(written));
  await writeFile(path.join(outDir, SUMMARY_FILE), JSON.stringify(summary, null, 2) + '\n');
  return summary;
}
