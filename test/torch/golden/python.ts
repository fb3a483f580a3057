// Runs a committed reference script under test/torch/golden with Debian's Python (torch 1.13, NumPy),
// which the set-up installs; the `python3` on PATH may be another one without them.
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { PROJECT_ROOT } from '../../../src/project-paths.js';

export const PYTHON = process.env.PNEUMO_PYTHON ?? '/usr/bin/python3';

export const GOLDEN_DIR = path.join(PROJECT_ROOT, 'test', 'torch', 'golden');

/** Runs golden/<script> with the arguments and returns its standard output. */
export function runGolden(script: string, ...args: string[]): string {
  return execFileSync(PYTHON, [path.join(GOLDEN_DIR, script), ...args], { encoding: 'utf8', maxBuffer: 64 << 20 });
}

/** Runs golden/<script> and parses the one JSON object it prints. */
export function goldenJson<T>(script: string, ...args: string[]): T {
  return JSON.parse(runGolden(script, ...args)) as T;
}
