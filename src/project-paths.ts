// Where pneumo's own files are, and the test fixtures (real SIIM sample DICOMs) when present.
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

function findProjectRoot(): string {
  const here = path.dirname(fileURLToPath(import.meta.url));
  for (let dir = here; dir !== path.dirname(dir); dir = path.dirname(dir)) {
    const pkg = path.join(dir, 'package.json');
    if (existsSync(pkg) && (JSON.parse(readFileSync(pkg, 'utf8')) as { name?: string }).name === 'pneumo') return dir;
  }
  throw new Error(`project root (package.json named pneumo) not found above ${here}`);
}

/** The folder holding pneumo's package.json. */
export const PROJECT_ROOT = findProjectRoot();

/** Where node-gyp puts one of pneumo's native addons (binding.gyp's target name). */
export function addonFile(target: 'pneumo_torch' | 'pneumo_jpeg'): string {
  return path.join(PROJECT_ROOT, 'build', 'Release', `${target}.node`);
}

/** The version in pneumo's package.json. */
export function pneumoVersion(): string {
  const pkg = JSON.parse(readFileSync(path.join(PROJECT_ROOT, 'package.json'), 'utf8')) as { version?: string };
  return String(pkg.version ?? 'unknown');
}

/**
 * The test fixtures (real SIIM sample DICOMs, DICOM reader files): PNEUMO_FIXTURES if set, else the
 * copy committed under test/fixtures. Null where there is none (an installed copy of pneumo).
 */
export function fixturesDir(): string | null {
  if (process.env.PNEUMO_FIXTURES) return path.resolve(process.env.PNEUMO_FIXTURES);
  const committed = path.join(PROJECT_ROOT, 'test', 'fixtures');
  return existsSync(path.join(committed, 'siim-sample')) ? committed : null;
}

/** The fixtures folder, or an error that says how to get one (for commands that need the files). */
export function requireFixturesDir(purpose: string): string {
  const dir = fixturesDir();
  if (dir && process.env.PNEUMO_FIXTURES && !existsSync(dir))
    throw new Error(
      `${purpose} needs the test fixtures, but PNEUMO_FIXTURES=${process.env.PNEUMO_FIXTURES} does not exist`,
    );
  if (!dir)
    throw new Error(
      `${purpose} needs the test fixtures (test/fixtures in a clone of the repository); set PNEUMO_FIXTURES to a copy`,
    );
  return dir;
}
