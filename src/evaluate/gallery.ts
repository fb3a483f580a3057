// Thumbnails for the error-analysis galleries: the X-ray with the truth (blue) and the prediction
// (red) outlined and filled translucently, small enough that a page of them loads at once.
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { itemMask, type DatasetItem } from '../data/dataset.js';
import { emptyMask, type GrayImage, type Mask } from '../data/image.js';
import { readImage } from '../data/image-io.js';
import { resizeImage, resizeMask } from '../data/transforms/resize.js';
import { renderOverlayPng, PREDICTION_COLOR, TRUTH_COLOR, type MaskLayer } from '../pipeline/overlay.js';
import { safeFileStem } from '../pipeline/predict-files.js';
import type { Predictor } from '../pipeline/predictor.js';
import type { ClassificationErrors, SegmentationExtremes } from './error-analysis.js';

export const THUMBNAIL_SIDE = 256;

export interface GalleryEntry {
  imageId: string;
  /** Path relative to the evaluation folder. */
  thumbnail: string;
  caption: string;
}

export interface GalleryGroup {
  name: string;
  title: string;
  description: string;
  entries: GalleryEntry[];
}

/** A thumbnail PNG (longest side THUMBNAIL_SIDE) with the truth and the prediction drawn in two colours. */
export async function renderThumbnail(image: GrayImage, truth: Mask | null, prediction: Mask | null): Promise<Buffer> {
  const scale = THUMBNAIL_SIDE / Math.max(image.width, image.height);
  const width = Math.max(1, Math.round(image.width * scale));
  const height = Math.max(1, Math.round(image.height * scale));
  const small = resizeImage(image, width, height, 'area');
  const layers: MaskLayer[] = [];
  if (truth) layers.push({ mask: resizeMask(truth, width, height), color: TRUTH_COLOR, opacity: 0.25 });
  if (prediction) layers.push({ mask: resizeMask(prediction, width, height), color: PREDICTION_COLOR, opacity: 0.25 });
  return renderOverlayPng(small, layers, null);
}

export async function writeThumbnail(
  dir: string,
  group: string,
  imageId: string,
  image: GrayImage,
  truth: Mask | null,
  prediction: Mask | null,
): Promise<string> {
  const relative = path.join('gallery', group, `${safeFileStem(imageId)}.png`);
  await mkdir(path.join(dir, 'gallery', group), { recursive: true });
  await writeFile(path.join(dir, relative), await renderThumbnail(image, truth, prediction));
  return relative;
}

/** One gallery before its thumbnails are drawn: which images, captioned, and whether to draw the prediction. */
export interface GalleryPlan {
  name: string;
  title: string;
  description: string;
  ids: { id: string; caption: string; showPrediction: boolean }[];
}

/** The error-analysis galleries: confident and near-threshold errors of each kind, best and worst segmentations. */
export function galleryPlans(errors: ClassificationErrors, extremes: SegmentationExtremes): GalleryPlan[] {
  const fmt = (v: number) => v.toFixed(3);
  const t = errors.threshold;
  const kinds = [
    { name: 'false-negatives', title: 'False negatives', truth: 'positive', side: 'below', sign: -1, found: false },
    { name: 'false-positives', title: 'False positives', truth: 'negative', side: 'above', sign: 1, found: true },
  ] as const;
  const classification = kinds.flatMap((kind) => {
    const group = kind.found ? errors.falsePositives : errors.falseNegatives;
    const ids = (rows: typeof group.confident) =>
      rows.map((r) => ({
        id: r.imageId,
        caption: `p ${fmt(r.probability)} (t ${fmt(t)})`,
        showPrediction: kind.found,
      }));
    const bound = `p ${kind.sign < 0 ? '<=' : '>='} ${fmt(t + kind.sign * errors.margin)}`;
    return [
      {
        name: `${kind.name}-confident`,
        title: `${kind.title}, confident`,
        description: `${kind.truth} images the classifier put well ${kind.side} the threshold (${bound})`,
        ids: ids(group.confident),
      },
      {
        name: `${kind.name}-near`,
        title: `${kind.title}, near the threshold`,
        description: `${kind.truth} images within ${errors.margin} ${kind.side} the threshold`,
        ids: ids(group.nearThreshold),
      },
    ];
  });
  const segmentation = (['best', 'worst'] as const).map((end) => ({
    name: `${end}-segmentations`,
    title: `${end === 'best' ? 'Best' : 'Worst'} segmentations`,
    description: `positive images with the ${end === 'best' ? 'highest' : 'lowest'} IoU of the segmenter (truth blue, prediction red)`,
    ids: extremes[end].map((s) => ({
      id: s.imageId,
      caption: `IoU ${fmt(s.iou)}, Dice ${fmt(s.dice)}`,
      showPrediction: true,
    })),
  }));
  return [...classification, ...segmentation];
}

/** Draws each gallery's thumbnails (the prediction re-run for the images that show it) under `out`. */
export async function writeGalleries(
  out: string,
  /** The predictor that draws an image's prediction (one per fold in an out-of-fold evaluation). */
  predictorOf: (imageId: string) => Predictor,
  byId: Map<string, DatasetItem>,
  plans: readonly GalleryPlan[],
): Promise<GalleryGroup[]> {
  const result: GalleryGroup[] = [];
  for (const g of plans) {
    const entries = [];
    for (const { id, caption, showPrediction } of g.ids) {
      const item = byId.get(id)!;
      const image = await readImage(item.path);
      const truth = item.label === 1 ? itemMask(item, image.width, image.height) : null;
      let prediction = null;
      if (showPrediction) {
        const predictor = predictorOf(id);
        const maps = predictor.segmentProbabilities([image]);
        prediction = predictor.maskFromProbabilities(maps.maps[0], maps.width, maps.height, image.width, image.height);
      }
      const thumbnail = await writeThumbnail(
        out,
        g.name,
        id,
        image,
        truth,
        prediction ?? emptyMask(image.width, image.height),
      );
      entries.push({ imageId: id, thumbnail, caption });
    }
    result.push({ name: g.name, title: g.title, description: g.description, entries });
  }
  return result;
}
