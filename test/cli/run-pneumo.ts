// Runs the built CLI (bin/pneumo.js) in a child process, as a user would.
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import path from 'node:path';
import { PROJECT_ROOT } from '../../src/project-paths.js';

export const PNEUMO_BIN = path.join(PROJECT_ROOT, 'bin', 'pneumo.js');

/** `pneumo ...args` to completion, with this process's environment unless another is given. */
export function runPneumo(args: readonly string[], env: NodeJS.ProcessEnv = process.env): SpawnSyncReturns<string> {
  return spawnSync(process.execPath, [PNEUMO_BIN, ...args], { encoding: 'utf8', env });
}
