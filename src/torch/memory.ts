// The CPU allocator keeps freed large blocks (activations, gradients) for the next request of the same
// size, so that training steps do not fault their working set in again each time (native/allocator.cc).
import { native, type CpuCacheInfo } from './native.js';

export type { CpuCacheInfo };

/** Returns the cached free blocks to the system (after training, before a long idle phase). */
export function emptyCache(): void {
  native.emptyCache();
}

/** Bytes held in the cache, its limit (PNEUMO_CPU_CACHE_MB), and how often a request was served from it. */
export function cpuCacheInfo(): CpuCacheInfo {
  return native.cpuCacheInfo();
}
