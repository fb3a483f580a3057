// Where pneumo's own files are, and the shared fixtures (real SIIM sample DICOMs) when present.
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

function findProjectRoot(): string {
  const here = path.dirname(fileURLToPath(import.meta.url));
  for (let dir = here; dir !== path.dirname(dir); dir = path.dirname(dir)) {
    const pkg = path.join(dir, 'package.json');
    if (existsSync(pkg) && (JSON.parse(readFileSync(pkg, 'utf8')) as { name?: string }).name === 'pneumo') return dir;
  }
  throw new Error(`pneumo: project root (package.json named pneumo) not found above ${here}`);
}

/** The folder holding pneumo's package.json. */
export const PROJECT_ROOT = findProjectRoot();

/** The version in pneumo's package.json. */
export function pneumoVersion(): string {
  const pkg = JSON.parse(readFileSync(path.join(PROJECT_ROOT, 'package.json'), 'utf8')) as { version?: string };
  return String(pkg.version ?? 'unknown');
}

/**
 * The shared fixtures folder: PNEUMO_FIXTURES if set, else the first `shared/fixtures` beside the
 * project or above it (CI clones the repository with shared/ beside it; a worktree sits deeper).
 * Null where there is none (an installed copy of pneumo).
 */
export function sharedFixturesDir(): string | null {
  if (process.env.PNEUMO_FIXTURES) return path.resolve(process.env.PNEUMO_FIXTURES);
  for (let dir = path.dirname(PROJECT_ROOT); dir !== path.dirname(dir); dir = path.dirname(dir)) {
    const candidate = path.join(dir, 'shared', 'fixtures');
    if (existsSync(candidate)) return candidate;
  }
  return null;
}
