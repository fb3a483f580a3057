// An image reader for the loader tests that misbehaves on request: a path containing "hang" never
// returns, one containing "crash" kills its worker thread; others are read normally.
import { readImage as readReal } from '../../src/data/image-source.js';
import type { GrayImage } from '../../src/data/image.js';

export async function readImage(path: string): Promise<GrayImage> {
  if (path.includes('hang')) for (;;);
  if (path.includes('crash')) process.exit(9);
  return readReal(path);
}
