// Label facts for the EDA, computed from the rows of a SIIM label CSV alone: how many rows and images,
// repeated rows, the class balance, how many separate mask rows a positive image has, how large masks
// are and where on the image they fall. Pure: rows in, numbers out.
import { isEmptyRle, RleError, rleIntervals, SIIM_SIZE } from '../../data/rle.js';
import { ratio, summarize, type Summary } from './stats.js';

export interface LabelRecord {
  imageId: string;
  encodedPixels: string;
}

export interface ImageSize {
  width: number;
  height: number;
}

/** What the labels say about one image. */
export interface ImageLabel {
  imageId: string;
  positive: boolean;
  /** Rows in the CSV for this image, repeats included. */
  rows: number;
  /** Distinct non-empty RLE rows: the separate mask parts. */
  maskRows: number;
  /** Rows that repeat an earlier row of this image. */
  duplicateRows: number;
  /** Both a `-1` row and mask rows (the mask rows win: rows are OR-ed). */
  mixed: boolean;
  /** Pixels in the union of the mask rows; 0 for negatives, null when a mask row could not be decoded. */
  maskPixels: number | null;
  maskShare: number | null;
  /** Bounding box of the mask in image coordinates, inclusive; null when empty or undecodable. */
  maskBox: { top: number; left: number; bottom: number; right: number } | null;
  size: ImageSize;
}

export interface BadLabelRow {
  imageId: string;
  reason: string;
}

export interface MaskLocation {
  /** Cells across and down; each covers 1/gridSize of the image's width and height. */
  gridSize: number;
  /** Row-major, gridSize^2: the share of positive images whose mask touches the cell. */
  share: number[];
  /** Positive images that went into the map. */
  images: number;
  /** The image size when all mapped images have the same one (axes in pixels), else null (axes in fractions). */
  commonSize: ImageSize | null;
}

export interface LabelFacts {
  rows: number;
  images: number;
  /** Rows that repeat an earlier (ImageId, EncodedPixels) row, and the images they belong to. */
  duplicateRows: number;
  imagesWithDuplicateRows: number;
  positive: number;
  negative: number;
  positiveRate: number | null;
  negativeRate: number | null;
  mixedImages: string[];
  /** How many positive images have 1, 2, ... distinct mask rows. */
  rowsPerPositiveImage: { maskRows: number; images: number }[];
  maskPixels: Summary | null;
  maskShare: Summary | null;
  maskLocation: MaskLocation;
  /** Rows whose RLE cannot be decoded on the image; the image keeps its other rows. */
  badRows: BadLabelRow[];
}

export interface LabelFactsOptions {
  /** Image size per image (from the DICOM headers); default 1024x1024, SIIM's size. */
  sizeOf?: (imageId: string) => ImageSize | undefined;
  /** Cells across the mask location map. Default 64. */
  gridSize?: number;
}

function normalisedRle(encoded: string): string {
  return isEmptyRle(encoded) ? '-1' : encoded.trim().split(/\s+/).join(' ');
}

export function computeLabelFacts(
  rows: readonly LabelRecord[],
  options: LabelFactsOptions = {},
): { facts: LabelFacts; images: Map<string, ImageLabel> } {
  const gridSize = options.gridSize ?? 64;
  const byImage = new Map<string, string[]>();
  for (const row of rows) {
    const list = byImage.get(row.imageId);
    if (list) list.push(normalisedRle(row.encodedPixels));
    else byImage.set(row.imageId, [normalisedRle(row.encodedPixels)]);
  }

  const images = new Map<string, ImageLabel>();
  const badRows: BadLabelRow[] = [];
  const touched = new Float64Array(gridSize * gridSize);
  const cellSeen = new Uint8Array(gridSize * gridSize);
  let mappedImages = 0;
  let commonSize: ImageSize | null | undefined;
  let duplicateRows = 0;

  for (const [imageId, encodings] of byImage) {
    const distinct = [...new Set(encodings)];
    const maskEncodings = distinct.filter((e) => e !== '-1');
    duplicateRows += encodings.length - distinct.length;
    const size = options.sizeOf?.(imageId) ?? { width: SIIM_SIZE, height: SIIM_SIZE };
    const label: ImageLabel = {
      imageId,
      positive: maskEncodings.length > 0,
      rows: encodings.length,
      maskRows: maskEncodings.length,
      duplicateRows: encodings.length - distinct.length,
      mixed: maskEncodings.length > 0 && distinct.includes('-1'),
      maskPixels: 0,
      maskShare: 0,
      maskBox: null,
      size,
    };
    images.set(imageId, label);
    if (!label.positive) continue;

    // The mask stays as merged column-major intervals (OR-ed rows, no pixel buffer), so thousands of
    // positive images need no image-sized buffers. A bad row is reported on its own; it leaves the mask size
    // unknown, but the image stays positive.
    let intervals: number[];
    try {
      intervals = rleIntervals(maskEncodings, size.width, size.height, imageId);
    } catch (err) {
      if (!(err instanceof RleError)) throw err;
      for (const encoded of maskEncodings) {
        try {
          rleIntervals([encoded], size.width, size.height, imageId);
        } catch (rowErr) {
          if (!(rowErr instanceof RleError)) throw rowErr;
          badRows.push({ imageId, reason: rowErr.message });
        }
      }
      label.maskPixels = label.maskShare = null;
      continue;
    }
    cellSeen.fill(0);
    const scan = intervalGeometry(intervals, size, gridSize, cellSeen);
    label.maskPixels = scan.area;
    label.maskShare = scan.area / (size.width * size.height);
    label.maskBox = scan.box;
    for (let c = 0; c < cellSeen.length; c++) touched[c] += cellSeen[c];
    mappedImages++;
    if (commonSize === undefined) commonSize = size;
    else if (commonSize && (commonSize.width !== size.width || commonSize.height !== size.height)) commonSize = null;
  }

  const labels = [...images.values()];
  const positives = labels.filter((l) => l.positive);
  const perImage = new Map<number, number>();
  for (const l of positives) perImage.set(l.maskRows, (perImage.get(l.maskRows) ?? 0) + 1);
  const measured = positives.filter((l) => l.maskPixels !== null);

  const facts: LabelFacts = {
    rows: rows.length,
    images: images.size,
    duplicateRows,
    imagesWithDuplicateRows: labels.filter((l) => l.duplicateRows > 0).length,
    positive: positives.length,
    negative: images.size - positives.length,
    positiveRate: ratio(positives.length, images.size),
    negativeRate: ratio(images.size - positives.length, images.size),
    mixedImages: labels.filter((l) => l.mixed).map((l) => l.imageId),
    rowsPerPositiveImage: [...perImage]
      .sort((a, b) => a[0] - b[0])
      .map(([maskRows, count]) => ({ maskRows, images: count })),
    maskPixels: summarize(measured.map((l) => l.maskPixels as number)),
    maskShare: summarize(measured.map((l) => l.maskShare as number)),
    maskLocation: {
      gridSize,
      share: Array.from(touched, (n) => (mappedImages === 0 ? 0 : n / mappedImages)),
      images: mappedImages,
      commonSize: commonSize ?? null,
    },
    badRows,
  };
  return { facts, images };
}

/**
 * Area, bounding box, and the map cells touched (marked 1 in `cells`) of a mask given as merged
 * column-major intervals [start, end). Each interval is cut at column ends into vertical segments.
 */
export function intervalGeometry(intervals: readonly number[], size: ImageSize, gridSize: number, cells: Uint8Array) {
  const { width, height } = size;
  let area = 0;
  let top = height;
  let left = width;
  let bottom = -1;
  let right = -1;
  for (let i = 0; i < intervals.length; i += 2) {
    const end = intervals[i + 1];
    area += end - intervals[i];
    for (let k = intervals[i]; k < end;) {
      const column = Math.floor(k / height);
      const firstRow = k - column * height;
      const lastRow = Math.min(height, firstRow + (end - k)) - 1;
      if (firstRow < top) top = firstRow;
      if (lastRow > bottom) bottom = lastRow;
      if (column < left) left = column;
      if (column > right) right = column;
      const cellColumn = Math.floor((column * gridSize) / width);
      const lastCellRow = Math.floor((lastRow * gridSize) / height);
      for (let cr = Math.floor((firstRow * gridSize) / height); cr <= lastCellRow; cr++)
        cells[cr * gridSize + cellColumn] = 1;
      k += lastRow - firstRow + 1;
    }
  }
  return { area, box: area === 0 ? null : { top, left, bottom, right } };
}
