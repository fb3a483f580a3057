// Paths of the test fixtures (test/fixtures, or PNEUMO_FIXTURES; see src/project-paths.ts).
import path from 'node:path';
import { PROJECT_ROOT, requireFixturesDir } from '../src/project-paths.js';

export { PROJECT_ROOT };

export const FIXTURES = requireFixturesDir('the tests');

/** Absolute path of a file under the fixtures folder. */
export function fixture(...parts: string[]): string {
  return path.join(FIXTURES, ...parts);
}

export const SIIM_SAMPLE = path.join(FIXTURES, 'siim-sample');
export const SIIM_SAMPLE_CSV = path.join(SIIM_SAMPLE, 'train-rle-sample.csv');
export const SIIM_SAMPLE_CRLF_BOM_CSV = path.join(SIIM_SAMPLE, 'train-rle-sample.crlf-bom.csv');
export const SIIM_SAMPLE_ID_PREFIX = '1.2.276.0.7230010.3.1.4.8323329.';
