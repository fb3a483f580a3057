// Where the shared fixtures live: `<repo>/../shared/fixtures`, since CI clones the repository with
// shared/ beside it. A worktree sits one level deeper (/work/wt/NAME beside /work/shared), so the search
// goes on up the ancestors of the repository root until a `shared/fixtures` turns up.
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

function findSharedFixtures(): string {
  const here = path.dirname(fileURLToPath(import.meta.url));
  let dir = here;
  while (!existsSync(path.join(dir, 'package.json'))) {
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error(`test/fixture-paths: no package.json above ${here}`);
    dir = parent;
  }
  for (let up = path.dirname(dir); ; up = path.dirname(up)) {
    const candidate = path.join(up, 'shared', 'fixtures');
    if (existsSync(candidate)) return candidate;
    if (path.dirname(up) === up) throw new Error(`test/fixture-paths: no shared/fixtures beside ${dir} or above it`);
  }
}

export const SHARED_FIXTURES = findSharedFixtures();
export const SIIM_SAMPLE = path.join(SHARED_FIXTURES, 'siim-sample');
export const SIIM_SAMPLE_CSV = path.join(SIIM_SAMPLE, 'train-rle-sample.csv');
export const SIIM_SAMPLE_CRLF_BOM_CSV = path.join(SIIM_SAMPLE, 'train-rle-sample.crlf-bom.csv');
export const SIIM_SAMPLE_ID_PREFIX = '1.2.276.0.7230010.3.1.4.8323329.';
