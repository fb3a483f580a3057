// Thumbnails for the error-analysis galleries: the X-ray with the truth (blue) and the prediction
// (red) outlined and filled translucently, small enough that a page of them loads at once.
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { GrayImage, Mask } from '../data/image.js';
import { resizeImage, resizeMask } from '../data/transforms/resize.js';
import { renderOverlayPng, PREDICTION_COLOR, TRUTH_COLOR, type MaskLayer } from '../pipeline/overlay.js';
import { safeFileStem } from '../pipeline/predict-files.js';

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
