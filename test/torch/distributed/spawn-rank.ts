// Starts one rank of a distributed test as its own Node process, with torchrun's variables set.
import { spawn } from 'node:child_process';

export interface RankExit {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /** The last stdout line as JSON, when there is one. */
  report: Record<string, unknown> | null;
}

export function rankEnv(rank: number, worldSize: number, port: number, masterAddr = '127.0.0.1'): NodeJS.ProcessEnv {
  return {
    ...process.env,
    RANK: String(rank),
    LOCAL_RANK: String(rank),
    WORLD_SIZE: String(worldSize),
    LOCAL_WORLD_SIZE: String(worldSize),
    MASTER_ADDR: masterAddr,
    MASTER_PORT: String(port),
    PNEUMO_THREADS: '1',
  };
}

export function runRank(
  args: readonly string[],
  env: NodeJS.ProcessEnv,
  onStart?: (pid: number) => void,
  command: readonly string[] = [process.execPath],
): Promise<RankExit> {
  const child = spawn(command[0], [...command.slice(1), ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  if (child.pid !== undefined) onStart?.(child.pid);
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  return new Promise((resolve) =>
    child.on('close', (code, signal) => {
      const line = stdout.trim().split('\n').pop();
      let report: Record<string, unknown> | null = null;
      try {
        report = line ? (JSON.parse(line) as Record<string, unknown>) : null;
      } catch {
        report = null;
      }
      resolve({ code, signal, stdout, stderr, report });
    }),
  );
}
