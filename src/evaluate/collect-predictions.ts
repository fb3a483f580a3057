// One pass of both models over the evaluation images, keeping per image only what the analyses need:
// the classifier probability, the Dice/IoU of the segmenter's post-processed mask at full resolution
// (the pipeline's score when the classifier lets the image through), and the probability map and
// truth at a reduced resolution for the triplet search (bytes: 64 KB each at 256x256).
import { readImage } from '../data/image-io.js';
import { itemMask, type DatasetItem } from '../data/dataset.js';
import { resizeImage, resizeMask } from '../data/transforms/resize.js';
import { scoreSegmentation, type ImageSegmentationScore } from '../metrics/segmentation.js';
import type { Predictor } from '../pipeline/predictor.js';
import type { PipelineRecord } from './threshold-sweep.js';
import type { TripletImage } from './triplet-search.js';

export interface CollectedPredictions {
  records: PipelineRecord[];
  segmentations: ImageSegmentationScore[];
  tripletImages: TripletImage[];
  failures: { imageId: string; file: string; reason: string }[];
  /** Each image's truth mask area as a share of the image (0 for a negative), for the mask-size bands. */
  truthFractions: Map<string, number>;
  seconds: number;
}

export interface CollectOptions {
  batchSize?: number;
  /** Side of the maps kept for the triplet search; default 256 (or the map's own size if smaller). */
  searchSize?: number;
  onProgress?: (done: number, total: number) => void;
}

/** A collection with nothing in it yet. */
export function emptyCollection(): CollectedPredictions {
  return { records: [], segmentations: [], tripletImages: [], failures: [], truthFractions: new Map(), seconds: 0 };
}

export async function collectPredictions(
  predictor: Predictor,
  items: readonly DatasetItem[],
  options: CollectOptions = {},
): Promise<CollectedPredictions> {
  const started = Date.now();
  const batchSize = options.batchSize ?? 8;
  const out = emptyCollection();
  const read = (item: DatasetItem) =>
    readImage(item.path).then(
      (image) => ({ item, image }),
      (err: Error) => ({ item, error: err.message }),
    );
  let next = items.length > 0 ? Promise.all(items.slice(0, batchSize).map(read)) : null;
  for (let start = 0; start < items.length; start += batchSize) {
    const batch = await next!;
    next =
      start + batchSize < items.length
        ? Promise.all(items.slice(start + batchSize, start + 2 * batchSize).map(read))
        : null;
    const usable = batch.filter(
      (b): b is { item: DatasetItem; image: import('../data/image.js').GrayImage } => 'image' in b,
    );
    for (const b of batch)
      if ('error' in b) out.failures.push({ imageId: b.item.imageId, file: b.item.path, reason: b.error });
    if (usable.length > 0) {
      const images = usable.map((u) => u.image);
      const probabilities = predictor.classify(images);
      const maps = predictor.segmentProbabilities(images);
      usable.forEach(({ item, image }, k) => {
        const truth = itemMask(item, image.width, image.height);
        const mask = predictor.maskFromProbabilities(maps.maps[k], maps.width, maps.height, image.width, image.height);
        const score = scoreSegmentation(item.imageId, truth, mask);
        let area = 0;
        for (const v of truth.data) area += v !== 0 ? 1 : 0;
        out.truthFractions.set(item.imageId, area / truth.data.length);
        out.segmentations.push(score);
        out.records.push({
          imageId: item.imageId,
          probability: probabilities[k],
          label: item.label,
          segmentedDice: score.dice,
          maskFound: score.predictedPositive,
        });
        const side = Math.min(options.searchSize ?? 256, maps.width, maps.height);
        const small = resizeImage({ width: maps.width, height: maps.height, pixels: maps.maps[k] }, side, side, 'area');
        out.tripletImages.push({
          imageId: item.imageId,
          probability: probabilities[k],
          map: Uint8Array.from(small.pixels, (v) => Math.round(Math.min(1, Math.max(0, v)) * 255)),
          truth: resizeMask(truth, side, side).data,
          width: side,
          height: side,
        });
      });
    }
    options.onProgress?.(Math.min(items.length, start + batchSize), items.length);
  }
  out.seconds = (Date.now() - started) / 1000;
  return out;
}
