// The index of a SIIM-format dataset folder (ARCHITECTURE.md, "Dataset on disk"): a label CSV and DICOM
// files anywhere below the folder, joined by ImageId. Training, evaluation and EDA all start from a
// DatasetIndex. Masks stay as RLE text until someone asks for one at a given size, so that indexing
// 12,000 images costs kilobytes, not gigabytes.
import { readdir, realpath, stat } from 'node:fs/promises';
import path from 'node:path';
import type { Mask } from './image.js';
import {
  hasMask,
  readLabelCsv,
  requireLabelRows,
  type DuplicateLabelRows,
  type LabelRowError,
  type LabelTable,
  type RleOption,
} from './labels.js';
import { readDicomHeader } from './dicom/index.js';
import { decodeRleRows, SIIM_SIZE, type RleReading } from './rle.js';

/** Label file names looked for in the dataset folder, in this order (the SIIM and Kaggle stage 2 names). */
export const LABEL_FILE_NAMES = ['train-rle.csv', 'stage_2_train.csv'] as const;

const DICOM_EXTENSION = /\.(dcm|dicom)$/i;

/** One labelled image with a file: what training, evaluation and EDA iterate over. */
export interface DatasetItem {
  /** The SOP Instance UID as the label file spells it; the DICOM file's name without `.dcm`. */
  imageId: string;
  /** Absolute path of the DICOM file. */
  path: string;
  /** 1 when any label row of the image marks pixels (pneumothorax), 0 when all rows are `-1`. */
  label: 0 | 1;
  /**
   * The image's RLE rows in file order, duplicates and `-1` rows included. They are OR-ed when decoded
   * (itemMask), so neither changes the mask. Relative to the full-resolution image (1024x1024 for SIIM),
   * in the SIIM (relative) form whatever the file wrote.
   */
  rleRows: string[];
}

/** An image file seen on disk. */
export interface DatasetFile {
  imageId: string;
  path: string;
}

export interface DatasetIndex {
  /** Absolute path of the dataset folder. */
  root: string;
  /** Absolute path of the label CSV used. */
  labelsFile: string;
  /** How its run starts were read; item rows hold the SIIM (relative) form either way. */
  rleReading: RleReading;
  /** Images with both a file and usable labels, in order of first appearance in the label file. */
  items: DatasetItem[];
  /** DICOM files whose ImageId has no row in the label file (not in items). */
  imagesWithoutLabels: DatasetFile[];
  /** ImageIds with label rows but no DICOM file below the folder (not in items). */
  labelsWithoutImages: string[];
  /** ImageIds found as several files; the item uses the first path (sorted), the rest are listed here. */
  duplicateImageFiles: { imageId: string; paths: string[] }[];
  /** Repeated label rows (same ImageId and RLE), reported by the label reader; kept in rleRows. */
  duplicateRows: DuplicateLabelRows[];
  /** How many rows repeat an earlier one. */
  duplicateRowCount: number;
  /** Images with both a `-1` row and mask rows (labelled positive: their mask is the union). */
  mixedImages: string[];
  /** Label rows that could not be used (bad RLE, wrong column count, ...), each naming line and image. */
  malformedRows: LabelRowError[];
  /**
   * ImageIds named by a malformed row. None of them is in items: a mask missing a row would be a wrong
   * label, so the image is not used until the file is fixed.
   */
  imagesWithMalformedLabels: string[];
  /** Counts over items. */
  positives: number;
  negatives: number;
}

export interface DatasetIndexOptions {
  /** Label CSV to use instead of looking for the standard names; relative paths resolve against the working directory. */
  labels?: string;
  /** Image size that label runs are checked against. Default 1024x1024 (SIIM). */
  width?: number;
  height?: number;
  /**
   * How the label file's run starts count (labels.ts); `relative` (SIIM) by default. With `auto` and
   * no width or height given, every DICOM header is read first and each row checked against its own
   * image's size.
   */
  rle?: RleOption;
}

/** The dataset folder or its label file cannot be used at all. */
export class DatasetError extends Error {
  override name = 'DatasetError';
}

/** The mask of an item: its RLE rows decoded and OR-ed, at the image's full resolution. */
export function itemMask(item: DatasetItem, width = SIIM_SIZE, height = SIIM_SIZE): Mask {
  return decodeRleRows(item.rleRows, width, height, item.imageId);
}

async function assertFolder(root: string): Promise<void> {
  const info = await stat(root).catch(() => null);
  if (!info) throw new DatasetError(`${root}: no such dataset folder`);
  if (!info.isDirectory())
    throw new DatasetError(`${root}: not a folder (a dataset is a folder holding a label CSV and DICOM files)`);
}

/**
 * Standard label files in the folders directly below `root` (a Kaggle archive often unpacks into one
 * folder, e.g. `siim/train-rle.csv`), as paths relative to `root`: the hint when `root` has none.
 */
async function labelFilesOneLevelDown(root: string, names: readonly string[]): Promise<string[]> {
  const found: string[] = [];
  for (const name of [...names].sort()) {
    const inner = await readdir(path.join(root, name)).catch(() => null);
    if (!inner) continue;
    for (const file of LABEL_FILE_NAMES.flatMap((n) => [n, `${n}.gz`]))
      if (inner.includes(file)) found.push(path.join(name, file));
  }
  return found;
}

/** The label CSV of a dataset folder: one of LABEL_FILE_NAMES in the folder itself, plain or gzipped. */
export async function findLabelFile(root: string): Promise<string> {
  await assertFolder(root);
  const names = await readdir(root);
  const found = LABEL_FILE_NAMES.flatMap((n) => [n, `${n}.gz`]).filter((n) => names.includes(n));
  if (found.length === 1) return path.join(root, found[0]);
  if (found.length > 1)
    throw new DatasetError(`${root}: both ${found.join(' and ')} are present; choose one with --labels`);
  const csvs = names.filter((n) => /\.csv(\.gz)?$/i.test(n));
  const below = csvs.length > 0 ? [] : await labelFilesOneLevelDown(root, names);
  const hint =
    csvs.length > 0
      ? `; CSV files here: ${csvs.join(', ')}; name one with --labels`
      : below.length > 0
        ? `; found ${below.join(', ')}: give its folder as the dataset folder, or name the file with --labels`
        : '; name one with --labels';
  throw new DatasetError(`${root}: no label file (${LABEL_FILE_NAMES.join(' or ')}), plain or .gz${hint}`);
}

/**
 * DICOM files (`.dcm`, `.dicom`, any case) anywhere below `root`, as absolute paths in a stable order
 * (depth first, names sorted in each folder). Symbolic links are followed, each real folder once.
 */
export async function findDicomFiles(root: string): Promise<string[]> {
  await assertFolder(root);
  const files: string[] = [];
  const visited = new Set<string>();
  async function walk(dir: string): Promise<void> {
    const real = await realpath(dir);
    if (visited.has(real)) return;
    visited.add(real);
    const entries = await readdir(dir, { withFileTypes: true });
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const entry of entries) {
      const full = path.join(dir, entry.name);
      let isDirectory = entry.isDirectory();
      let isFile = entry.isFile();
      if (entry.isSymbolicLink()) {
        const target = await stat(full).catch(() => null); // a dangling link is no file
        isDirectory = target?.isDirectory() ?? false;
        isFile = target?.isFile() ?? false;
      }
      if (isDirectory) await walk(full);
      else if (isFile && DICOM_EXTENSION.test(entry.name)) files.push(full);
    }
  }
  await walk(path.resolve(root));
  return files;
}

/** The ImageId a DICOM file stands for: its name without the extension. */
export function imageIdOfFile(file: string): string {
  return path.basename(file).replace(DICOM_EXTENSION, '');
}

const HEADER_READS_AT_ONCE = 16;

/** Each file's image size by ImageId, from its DICOM header; a file whose header does not read is left out. */
async function dicomSizes(files: readonly string[]): Promise<Map<string, { width: number; height: number }>> {
  const sizes = new Map<string, { width: number; height: number }>();
  let next = 0;
  const worker = async () => {
    while (next < files.length) {
      const file = files[next++];
      const meta = await readDicomHeader(file).catch(() => null);
      if (meta && meta.rows > 0 && meta.columns > 0)
        sizes.set(imageIdOfFile(file), { width: meta.columns, height: meta.rows });
    }
  };
  await Promise.all(Array.from({ length: Math.min(HEADER_READS_AT_ONCE, files.length) }, worker));
  return sizes;
}

/** Indexes a dataset folder: finds the labels and the DICOM files, joins them by ImageId, reports every mismatch. */
export async function indexDataset(root: string, options: DatasetIndexOptions = {}): Promise<DatasetIndex> {
  const absoluteRoot = path.resolve(root);
  const labelsFile = options.labels ? path.resolve(options.labels) : await findLabelFile(absoluteRoot);
  const read = { width: options.width, height: options.height, rle: options.rle };
  let labels: LabelTable;
  let files: string[];
  if (options.rle === 'auto' && options.width === undefined && options.height === undefined) {
    // `auto` checks each row against its own image, so the headers come first.
    files = await findDicomFiles(absoluteRoot);
    const sizes = await dicomSizes(files);
    labels = requireLabelRows(await readLabelCsv(labelsFile, { ...read, sizeOf: (id) => sizes.get(id) }));
  } else
    [labels, files] = await Promise.all([
      readLabelCsv(labelsFile, read).then(requireLabelRows),
      findDicomFiles(absoluteRoot),
    ]);

  const pathsById = new Map<string, string[]>();
  for (const file of files) {
    const id = imageIdOfFile(file);
    const paths = pathsById.get(id);
    if (paths) paths.push(file);
    else pathsById.set(id, [file]);
  }
  const malformedIds = new Set(labels.malformed.map((e) => e.imageId).filter((id): id is string => id !== null));

  const index: DatasetIndex = {
    root: absoluteRoot,
    labelsFile,
    rleReading: labels.rleReading,
    items: [],
    imagesWithoutLabels: [],
    labelsWithoutImages: [],
    duplicateImageFiles: [],
    duplicateRows: labels.duplicates,
    duplicateRowCount: labels.duplicateRowCount,
    mixedImages: labels.mixedImages,
    malformedRows: labels.malformed,
    imagesWithMalformedLabels: [...malformedIds],
    positives: 0,
    negatives: 0,
  };
  for (const [imageId, rows] of labels.images) {
    const paths = pathsById.get(imageId);
    if (!paths) {
      index.labelsWithoutImages.push(imageId);
      continue;
    }
    if (malformedIds.has(imageId)) continue;
    const label = hasMask(rows) ? 1 : 0;
    index.items.push({ imageId, path: paths[0], label, rleRows: rows.map((r) => r.encodedPixels) });
    if (label) index.positives++;
    else index.negatives++;
  }
  for (const [imageId, paths] of pathsById) {
    if (paths.length > 1) index.duplicateImageFiles.push({ imageId, paths });
    if (!labels.images.has(imageId) && !malformedIds.has(imageId))
      index.imagesWithoutLabels.push({ imageId, path: paths[0] });
  }
  return index;
}
