// Paths of the shared test fixtures (see src/project-paths.ts for how they are found).
import path from 'node:path';
import { PROJECT_ROOT, sharedFixturesDir } from '../src/project-paths.js';

export { PROJECT_ROOT };

function requireFixtures(): string {
  const dir = sharedFixturesDir();
  if (!dir) throw new Error('shared/fixtures not found beside the repository or above it; set PNEUMO_FIXTURES');
  return dir;
}

export const FIXTURES = requireFixtures();

/** Absolute path of a file under shared/fixtures. */
export function fixture(...parts: string[]): string {
  return path.join(FIXTURES, ...parts);
}

export const SIIM_SAMPLE = path.join(FIXTURES, 'siim-sample');
export const SIIM_SAMPLE_CSV = path.join(SIIM_SAMPLE, 'train-rle-sample.csv');
export const SIIM_SAMPLE_CRLF_BOM_CSV = path.join(SIIM_SAMPLE, 'train-rle-sample.crlf-bom.csv');
export const SIIM_SAMPLE_ID_PREFIX = '1.2.276.0.7230010.3.1.4.8323329.';
