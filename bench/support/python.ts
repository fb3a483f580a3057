// Debian's Python (torch 1.13, torchvision, pydicom, NumPy), which computes the tests' reference values
// and runs the PyTorch side of the benchmarks; the `python3` on PATH may be another one without them.
// PNEUMO_PYTHON names another interpreter.
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { PROJECT_ROOT } from '../../src/project-paths.js';

export const PYTHON = process.env.PNEUMO_PYTHON ?? '/usr/bin/python3';

/** Runs a committed script (its path from the project root) and returns what it prints. */
export function runPython(script: string, ...args: string[]): string {
  try {
    return execFileSync(PYTHON, [path.join(PROJECT_ROOT, script), ...args], {
      encoding: 'utf8',
      maxBuffer: 64 << 20,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
  } catch (err) {
    const { stderr, message } = err as { stderr?: string; message: string };
    throw new Error(
      `${PYTHON} ${script} ${args.join(' ')} failed (it needs Debian's python3 with torch, torchvision, pydicom and NumPy; ` +
        `PNEUMO_PYTHON names another): ${stderr?.trim().split('\n').slice(-3).join(' | ') || message}`,
    );
  }
}

/** Runs a committed script and parses the one JSON value it prints. */
export function pythonJson<T>(script: string, ...args: string[]): T {
  return JSON.parse(runPython(script, ...args)) as T;
}
