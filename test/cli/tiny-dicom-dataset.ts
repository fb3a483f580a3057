// A tiny SIIM-format dataset on disk for CLI training tests: DICOM files in nested folders and a
// train-rle.csv, from the in-memory tiny images (positives carry a bright disc, their mask).
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { encodeRle } from '../../src/data/rle.js';
import { syntheticDicom } from '../data/dicom/synthetic.js';
import { tinyImages } from '../train/tiny-data.js';

export function writeTinyDicomDataset(data: string, size: number, count = 24, seed = 21): void {
  mkdirSync(path.join(data, 'nested', 'series'), { recursive: true });
  const rows = ['ImageId, EncodedPixels'];
  for (const item of tinyImages(count, size, seed)) {
    const id = `1.2.826.0.1.3680043.8.498.${item.id.replace(/\D+/g, '.').replace(/^\.|\.$/g, '')}`;
    const values = Array.from(item.image, (v) => Math.max(0, Math.min(65535, Math.round(((v + 1) / 3.5) * 65535))));
    writeFileSync(
      path.join(data, 'nested', 'series', `${id}.dcm`),
      syntheticDicom(size, size, values, { SOPInstanceUID: id }),
    );
    // SIIM masks are column-major; the loader decodes at the image's own size.
    const mask = { width: size, height: size, data: Uint8Array.from(item.mask) };
    rows.push(`${id}, ${item.label ? encodeRle(mask) : '-1'}`);
  }
  writeFileSync(path.join(data, 'train-rle.csv'), rows.join('\n') + '\n');
}
