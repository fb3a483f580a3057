// One EDA run from disk: find and read the label file, read every DICOM header below the dataset
// folder (when there is one), and compute the label and header facts. Writing the outputs is
// eda-report's job; progress display is the CLI's.
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { computeHeaderFacts, type HeaderEntry, type HeaderFacts } from './header-facts.js';
import { findDicomFiles, findLabelFile } from '../../data/dataset.js';
import { readLabelCsv, requireLabelRows, type RleOption } from '../../data/labels.js';
import { readDicomHeader } from '../../data/dicom/index.js';
import { computeLabelFacts } from './label-facts.js';
import type { EdaResult, LabelProblem } from './eda-result.js';
import { readHeaders } from './read-headers.js';

export interface EdaInput {
  /** Dataset folder: label CSV (unless `labelsFile`) and DICOMs anywhere below. */
  dataDir?: string;
  /** Label CSV; alone, the run covers the labels only. */
  labelsFile?: string;
  /** How the label file's run starts count; relative (SIIM) by default. */
  rle?: RleOption;
  concurrency?: number;
  /** Called once the DICOM files are found, then after each header. */
  onHeaderProgress?: (done: number, total: number) => void;
}

export async function runEda(input: EdaInput): Promise<EdaResult> {
  if (!input.dataDir && !input.labelsFile) throw new Error('runEda: give a dataset folder or a label file');
  const dataDir = input.dataDir ? path.resolve(input.dataDir) : null;
  const labelsFile = input.labelsFile ? path.resolve(input.labelsFile) : await findLabelFile(dataDir as string);

  // Headers first when `auto` must check each label row against its own image's size.
  const headersFirst = input.rle === 'auto' && dataDir !== null;
  let headerEntries: HeaderEntry[] = [];
  let unreadable: HeaderFacts['unreadable'] = [];
  const readAllHeaders = async () => {
    if (!dataDir) return;
    const files = await findDicomFiles(dataDir);
    input.onHeaderProgress?.(0, files.length);
    ({ entries: headerEntries, unreadable } = await readHeaders(files, {
      concurrency: input.concurrency,
      onProgress: input.onHeaderProgress,
      read: readDicomHeader,
    }));
  };

  let start = performance.now();
  if (headersFirst) await readAllHeaders();
  const headerSeconds = (performance.now() - start) / 1000;
  // Masks are measured on each image's own size when its header says it (synthetic sets may be small).
  const sizes = new Map<string, { width: number; height: number }>();
  const learnSizes = () => {
    for (const e of headerEntries)
      if (e.header.rows > 0 && e.header.columns > 0)
        sizes.set(e.header.imageId, { width: e.header.columns, height: e.header.rows });
  };
  learnSizes();

  start = performance.now();
  const table = requireLabelRows(
    await readLabelCsv(labelsFile, { rle: input.rle, sizeOf: headersFirst ? (id) => sizes.get(id) : undefined }),
  );
  const labelSeconds = (performance.now() - start) / 1000;

  start = performance.now();
  if (!headersFirst) {
    await readAllHeaders();
    learnSizes();
  }
  const secondsOfHeaders = headerSeconds + (performance.now() - start) / 1000;

  const { facts, images } = computeLabelFacts(table.rows, { sizeOf: (id) => sizes.get(id) });
  const labelProblems: LabelProblem[] = [
    ...table.malformed.map((m) => ({ line: m.line, imageId: m.imageId, reason: m.reason })),
    ...facts.badRows.map((b) => ({ line: null, imageId: b.imageId, reason: b.reason })),
  ];
  return {
    labelsFile,
    rleReading: table.rleReading,
    dataDir,
    labels: facts,
    images,
    headers: dataDir ? computeHeaderFacts(headerEntries, unreadable, images) : null,
    headerEntries,
    labelProblems,
    seconds: { labels: labelSeconds, headers: secondsOfHeaders },
  };
}
