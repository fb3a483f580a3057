// The committed test fixtures, as the benchmarks that read real files need them. Resolved when a
// benchmark asks, so that `pneumo bench` without fixtures fails with a line that says what to do.
import path from 'node:path';
import { requireFixturesDir } from '../../src/project-paths.js';

/** Absolute path of a file under the fixtures folder. */
export function fixture(...parts: string[]): string {
  return path.join(requireFixturesDir('this benchmark'), ...parts);
}
