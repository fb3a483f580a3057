// Everything one EDA run found, and its machine-readable form (OUT/eda.json).
import type { HeaderEntry, HeaderFacts } from './header-facts.js';
import type { ImageLabel, LabelFacts } from './label-facts.js';
import { compareWithSiim } from './siim-comparison.js';
import type { RleReading } from '../../data/rle.js';

/** A label row that was left out: malformed CSV, or an RLE that does not fit the image. */
export interface LabelProblem {
  line: number | null;
  imageId: string | null;
  reason: string;
}

export interface EdaResult {
  labelsFile: string;
  /** How the label file's run starts were read (`--rle`; what auto decided). */
  rleReading: RleReading;
  /** The dataset folder whose DICOM headers were read; null for a labels-only run. */
  dataDir: string | null;
  labels: LabelFacts;
  images: Map<string, ImageLabel>;
  headers: HeaderFacts | null;
  headerEntries: HeaderEntry[];
  labelProblems: LabelProblem[];
  /** Wall-clock seconds per stage, for the summary. */
  seconds: { labels: number; headers: number };
}

/** The content of eda.json: the label facts at the top level, header tables under `headers`. */
export function edaJson(result: EdaResult) {
  const { labels } = result;
  return {
    labelsFile: result.labelsFile,
    rleReading: result.rleReading,
    dataDir: result.dataDir,
    rows: labels.rows,
    images: labels.images,
    duplicateRows: labels.duplicateRows,
    imagesWithDuplicateRows: labels.imagesWithDuplicateRows,
    positive: labels.positive,
    negative: labels.negative,
    positiveRate: labels.positiveRate,
    negativeRate: labels.negativeRate,
    mixedImages: labels.mixedImages,
    rowsPerPositiveImage: labels.rowsPerPositiveImage,
    maskPixels: labels.maskPixels,
    maskShare: labels.maskShare,
    maskLocation: labels.maskLocation,
    maskShareVsSiim: compareWithSiim(
      [...result.images.values()].filter((l) => l.positive && l.maskShare !== null).map((l) => l.maskShare as number),
      labels,
    ),
    labelProblems: result.labelProblems,
    headers: result.headers,
  };
}
