// A rank's place in the job from the environment variables torchrun sets (and Slurm wrappers copy):
// RANK, LOCAL_RANK, WORLD_SIZE, LOCAL_WORLD_SIZE, MASTER_ADDR, MASTER_PORT.
import { DistributedError } from './process-group.js';

export interface RankEnv {
  rank: number;
  localRank: number;
  worldSize: number;
  localWorldSize: number;
  masterAddr: string;
  masterPort: number;
  /** GLOO_SOCKET_IFNAME, as PyTorch reads it. */
  interface?: string;
}

function integerVar(env: NodeJS.ProcessEnv, name: string, fallback?: number): number {
  const text = env[name];
  if (text === undefined || text.trim() === '') {
    if (fallback !== undefined) return fallback;
    throw new DistributedError(`${name} is not set (torchrun sets RANK, WORLD_SIZE, MASTER_ADDR and MASTER_PORT)`);
  }
  const value = Number(text);
  if (!Number.isInteger(value) || value < 0) throw new DistributedError(`${name}=${text}: expected an integer >= 0`);
  return value;
}

/** The rank's settings, or null when this process is not one rank of several (WORLD_SIZE unset or 1). */
export function rankFromEnv(env: NodeJS.ProcessEnv = process.env): RankEnv | null {
  if (env.WORLD_SIZE === undefined || env.WORLD_SIZE.trim() === '' || env.WORLD_SIZE.trim() === '1') return null;
  const worldSize = integerVar(env, 'WORLD_SIZE');
  const rank = integerVar(env, 'RANK');
  if (rank >= worldSize) throw new DistributedError(`RANK=${rank} is not below WORLD_SIZE=${worldSize}`);
  const localWorldSize = integerVar(env, 'LOCAL_WORLD_SIZE', worldSize);
  const localRank = integerVar(env, 'LOCAL_RANK', rank % Math.max(1, localWorldSize));
  const masterPort = integerVar(env, 'MASTER_PORT');
  if (masterPort < 1 || masterPort > 65535) throw new DistributedError(`MASTER_PORT=${masterPort}: not a TCP port`);
  const masterAddr = env.MASTER_ADDR?.trim();
  if (!masterAddr) throw new DistributedError('MASTER_ADDR is not set');
  const iface = env.GLOO_SOCKET_IFNAME?.trim();
  return {
    rank,
    localRank,
    worldSize,
    localWorldSize,
    masterAddr,
    masterPort,
    ...(iface ? { interface: iface } : {}),
  };
}
