// Where the shared test fixtures are. CI clones the repository with shared/ beside it
// (<repo>/../shared); a developer's worktree may sit deeper, so the search walks up from the project
// root. PNEUMO_FIXTURES overrides.
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

function projectRoot(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  while (dir !== path.dirname(dir)) {
    const pkg = path.join(dir, 'package.json');
    if (existsSync(pkg) && (JSON.parse(readFileSync(pkg, 'utf8')) as { name?: string }).name === 'pneumo') return dir;
    dir = path.dirname(dir);
  }
  throw new Error('pneumo project root not found above ' + fileURLToPath(import.meta.url));
}

export const PROJECT_ROOT = projectRoot();

function findFixtures(): string {
  if (process.env.PNEUMO_FIXTURES) return path.resolve(process.env.PNEUMO_FIXTURES);
  for (let dir = path.dirname(PROJECT_ROOT); ; dir = path.dirname(dir)) {
    const candidate = path.join(dir, 'shared', 'fixtures');
    if (existsSync(candidate)) return candidate;
    if (dir === path.dirname(dir)) return path.join(path.dirname(PROJECT_ROOT), 'shared', 'fixtures');
  }
}

/** Absolute path of a file under shared/fixtures. */
export function fixture(...parts: string[]): string {
  return path.join(FIXTURES, ...parts);
}

export const FIXTURES = findFixtures();
