// The environment variables that set up the engine, read and checked in one place before the addon
// loads: a value that is not a number is a one-line error naming the variable, never a silently
// ignored setting (strtoull would read `abc` as 0 and turn the CPU cache off).
import os from 'node:os';

export class EngineEnvironmentError extends Error {
  override name = 'EngineEnvironmentError';
}

export interface EngineEnvironment {
  /** Compute threads: PNEUMO_THREADS, else every core. */
  threads: number;
  /** PNEUMO_CPU_CACHE_MB when set (the native allocator reads it), else null for its default. */
  cpuCacheMb: number | null;
}

function wholeNumber(env: NodeJS.ProcessEnv, name: string, min: number, meaning: string): number | null {
  const raw = env[name];
  if (raw === undefined || raw === '') return null;
  const value = Number(raw);
  if (!/^\s*\d+\s*$/.test(raw) || !Number.isSafeInteger(value) || value < min)
    throw new EngineEnvironmentError(`${name}=${JSON.stringify(raw)}: expected ${meaning}`);
  return value;
}

export function readEngineEnvironment(env: NodeJS.ProcessEnv = process.env): EngineEnvironment {
  return {
    threads: wholeNumber(env, 'PNEUMO_THREADS', 1, 'a whole number of threads >= 1') ?? os.availableParallelism(),
    cpuCacheMb: wholeNumber(env, 'PNEUMO_CPU_CACHE_MB', 0, 'a whole number of MiB >= 0 (0 turns the cache off)'),
  };
}
