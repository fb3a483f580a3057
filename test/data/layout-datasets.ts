// Small labelled DICOM sets written in the layouts real data comes in, for the tests of every command
// that indexes a dataset: the Kaggle tree (dicom-images-train/<study>/<series>/<uid>.dcm, plus an
// unlabelled dicom-images-test/) and a flat folder (every .dcm beside the label CSV). The label file's
// name, header spelling and RLE reading are chosen per set; the images and masks are the same.
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { encodeRle } from '../../src/data/rle.js';
import { syntheticDicom } from './dicom/synthetic.js';
import { tinyImages } from '../train/tiny-data.js';

export interface LayoutOptions {
  layout: 'kaggle' | 'flat';
  labelsFile: 'train-rle.csv' | 'stage_2_train.csv';
  /** The real files write the second column's name with a leading space; others without. */
  header: 'ImageId,EncodedPixels' | 'ImageId, EncodedPixels';
  /** SIIM's relative gaps, or Kaggle's standard (1-based absolute starts). */
  rle: 'relative' | 'absolute';
  /** Unlabelled films under dicom-images-test/ (Kaggle layout only). */
  testImages?: number;
}

export interface LayoutDataset {
  dir: string;
  ids: string[];
  /** The true mask of each image, row-major 0/1, size x size. */
  masks: Map<string, Uint8Array>;
  positives: number;
  testIds: string[];
}

/**
 * SIIM's relative RLE in Kaggle's standard form, written independently of the reader's conversion:
 * each start becomes the 1-based number of the run's first pixel.
 */
export function kaggleRle(relative: string): string {
  if (relative === '-1') return relative;
  const numbers = relative.split(' ').map(Number);
  let end = 0;
  const out: number[] = [];
  for (let i = 0; i < numbers.length; i += 2) {
    const start = end + numbers[i];
    out.push(start + 1, numbers[i + 1]);
    end = start + numbers[i + 1];
  }
  return out.join(' ');
}

const uid = (kind: string, k: number) => `1.2.826.0.1.3680043.8.498.25.${kind}.${k + 1}`;

function dicomOf(image: Float32Array, size: number, id: string): Uint8Array {
  const values = Array.from(image, (v) => Math.max(0, Math.min(65535, Math.round(((v + 1) / 3.5) * 65535))));
  return syntheticDicom(size, size, values, { SOPInstanceUID: id });
}

export function writeLayoutDataset(dir: string, options: LayoutOptions, size = 64, count = 24): LayoutDataset {
  mkdirSync(dir, { recursive: true });
  const fileOf = (kind: 'train' | 'test', k: number, id: string) =>
    options.layout === 'flat'
      ? path.join(dir, `${id}.dcm`)
      : path.join(dir, `dicom-images-${kind}`, `${id}.study`, `${id}.series`, `${id}.dcm`);
  const rows: string[] = [options.header];
  const dataset: LayoutDataset = { dir, ids: [], masks: new Map(), positives: 0, testIds: [] };
  tinyImages(count, size, 31).forEach((item, k) => {
    const id = uid('1', k);
    const file = fileOf('train', k, id);
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, dicomOf(item.image, size, id));
    const mask = { width: size, height: size, data: Uint8Array.from(item.mask) };
    const relative = item.label ? encodeRle(mask) : '-1';
    rows.push(`${id},${options.rle === 'absolute' ? kaggleRle(relative) : relative}`);
    dataset.ids.push(id);
    dataset.masks.set(id, mask.data);
    dataset.positives += item.label;
  });
  if (options.layout === 'kaggle')
    tinyImages(options.testImages ?? 0, size, 32).forEach((item, k) => {
      const id = uid('2', k);
      const file = fileOf('test', k, id);
      mkdirSync(path.dirname(file), { recursive: true });
      writeFileSync(file, dicomOf(item.image, size, id));
      dataset.testIds.push(id);
    });
  writeFileSync(path.join(dir, options.labelsFile), rows.join('\n') + '\n');
  return dataset;
}
