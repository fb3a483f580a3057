// The local side of a torchrun-style launch: starts this node's ranks as child processes with the
// variables torchrun sets (RANK, LOCAL_RANK, WORLD_SIZE, LOCAL_WORLD_SIZE, MASTER_ADDR, MASTER_PORT),
// forwards SIGINT/SIGTERM to them, and stops them all as soon as one fails, naming that rank. The
// ranks find each other through c10d's TCPStore on MASTER_ADDR:MASTER_PORT (node 0, rank 0).
import { spawn, type ChildProcess } from 'node:child_process';
import os from 'node:os';

export interface LaunchOptions {
  /** The command every rank runs: executable first. */
  command: readonly string[];
  nprocPerNode: number;
  nnodes: number;
  nodeRank: number;
  masterAddr: string;
  masterPort: number;
  /** Compute threads per rank; default: this machine's cores shared among its ranks. */
  threadsPerRank?: number;
  env?: NodeJS.ProcessEnv;
  /** A rank that failed: how long the others get to stop after SIGTERM before SIGKILL. */
  graceMs?: number;
  /** Told each rank's start and the first failure (the CLI prints them). */
  onEvent?: (text: string) => void;
}

export interface LaunchResult {
  /** 0 when every local rank succeeded. */
  code: number;
  /** The first rank that failed, and how. */
  failure: { rank: number; reason: string } | null;
}

export class LaunchError extends Error {
  override name = 'LaunchError';
}

export function checkLaunch(o: Pick<LaunchOptions, 'nprocPerNode' | 'nnodes' | 'nodeRank' | 'masterPort'>): void {
  if (!Number.isInteger(o.nprocPerNode) || o.nprocPerNode < 1)
    throw new LaunchError(`--nproc-per-node must be a positive integer, received ${o.nprocPerNode}`);
  if (!Number.isInteger(o.nnodes) || o.nnodes < 1)
    throw new LaunchError(`--nnodes must be a positive integer, received ${o.nnodes}`);
  if (!Number.isInteger(o.nodeRank) || o.nodeRank < 0 || o.nodeRank >= o.nnodes)
    throw new LaunchError(`--node-rank must be in [0, ${o.nnodes - 1}], received ${o.nodeRank}`);
  if (!Number.isInteger(o.masterPort) || o.masterPort < 1 || o.masterPort > 65535)
    throw new LaunchError(`--master-port must be a TCP port, received ${o.masterPort}`);
}

function describeExit(code: number | null, signal: NodeJS.Signals | null): string {
  return signal ? `was killed by ${signal}` : `exited with code ${code}`;
}

export function launchRanks(o: LaunchOptions): Promise<LaunchResult> {
  checkLaunch(o);
  const worldSize = o.nprocPerNode * o.nnodes;
  const threads = o.threadsPerRank ?? Math.max(1, Math.floor(os.availableParallelism() / o.nprocPerNode));
  const children: { rank: number; child: ChildProcess; done: boolean }[] = [];
  let failure: LaunchResult['failure'] = null;
  let killTimer: NodeJS.Timeout | null = null;

  const stopAll = (signal: NodeJS.Signals) => {
    for (const c of children) if (!c.done) c.child.kill(signal);
  };
  const forward = (signal: NodeJS.Signals) => () => stopAll(signal);
  const onInt = forward('SIGINT');
  const onTerm = forward('SIGTERM');
  process.on('SIGINT', onInt);
  process.on('SIGTERM', onTerm);

  return new Promise((resolve) => {
    let remaining = o.nprocPerNode;
    for (let localRank = 0; localRank < o.nprocPerNode; localRank++) {
      const rank = o.nodeRank * o.nprocPerNode + localRank;
      const child = spawn(o.command[0], o.command.slice(1), {
        stdio: 'inherit',
        env: {
          ...(o.env ?? process.env),
          RANK: String(rank),
          LOCAL_RANK: String(localRank),
          WORLD_SIZE: String(worldSize),
          LOCAL_WORLD_SIZE: String(o.nprocPerNode),
          GROUP_RANK: String(o.nodeRank),
          MASTER_ADDR: o.masterAddr,
          MASTER_PORT: String(o.masterPort),
          PNEUMO_THREADS: String(threads),
        },
      });
      const entry = { rank, child, done: false };
      children.push(entry);
      o.onEvent?.(`rank ${rank} of ${worldSize} started (pid ${child.pid}, ${threads} threads)`);
      const finish = (code: number | null, signal: NodeJS.Signals | null, error?: Error) => {
        if (entry.done) return;
        entry.done = true;
        remaining--;
        const failed = error !== undefined || code !== 0;
        if (failed && !failure) {
          failure = { rank, reason: error ? `could not start: ${error.message}` : describeExit(code, signal) };
          o.onEvent?.(`rank ${rank} ${failure.reason}; stopping the other ranks`);
          stopAll('SIGTERM');
          killTimer = setTimeout(() => stopAll('SIGKILL'), o.graceMs ?? 10_000);
          killTimer.unref();
        }
        if (remaining === 0) {
          if (killTimer) clearTimeout(killTimer);
          process.off('SIGINT', onInt);
          process.off('SIGTERM', onTerm);
          resolve({ code: failure ? 1 : 0, failure });
        }
      };
      child.on('exit', (code, signal) => finish(code, signal));
      child.on('error', (err) => finish(null, null, err));
    }
  });
}

/** The command line without the launcher's own flags (each rank gets the rest unchanged). */
export function withoutLaunchFlags(args: readonly string[], flags: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    const name = a.split('=')[0];
    if (flags.includes(name)) {
      if (!a.includes('=')) i++;
      continue;
    }
    out.push(a);
  }
  return out;
}
