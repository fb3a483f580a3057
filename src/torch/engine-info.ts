import { readFileSync } from 'node:fs';
import { native, type CudaDevice } from './native.js';

export interface EngineInfo {
  libtorch: string;
  /** The version of the libtorch loaded in this process. */
  version: string;
  /** The version whose headers the addon was compiled against. */
  builtAgainst: string;
  threads: number;
  blas: string;
  mkldnn: boolean;
  cuda: string;
  /** The CUDA driver's devices (empty without a driver), whether or not this libtorch can use them. */
  cudaDevices: CudaDevice[];
  /** AVX512-BF16 / AMX-BF16 on this CPU: bf16 convolutions run through oneDNN's native kernels. */
  cpuBf16: string;
}

function cpuBf16(): string {
  try {
    const flags = new Set(readFileSync('/proc/cpuinfo', 'utf8').match(/\b(avx512_bf16|amx_bf16)\b/g) ?? []);
    return flags.size > 0 ? [...flags].sort().join(', ') : 'none (bf16 is emulated, likely slower than fp32)';
  } catch {
    return 'unknown';
  }
}

// Debian's libtorch reports BLAS_INFO=generic at build time; the library actually used is whatever
// libblas.so.3 resolves to at run time, so read it from the process's own memory map.
function loadedBlas(): string {
  try {
    const maps = readFileSync('/proc/self/maps', 'utf8');
    const libs = new Set(
      maps
        .split('\n')
        .map((line) => line.split(/\s+/)[5] ?? '')
        .filter((p) => /blas|mkl_rt/i.test(p)),
    );
    if (libs.size === 0) return 'none loaded';
    const list = [...libs].join(', ');
    if (/openblas/i.test(list)) return `OpenBLAS (${list})`;
    if (/mkl/i.test(list)) return `MKL (${list})`;
    return `reference BLAS, slow: install libopenblas0-pthread (${list})`;
  } catch {
    return 'unknown';
  }
}

export function engineInfo(): EngineInfo {
  const info = native.info();
  return {
    libtorch: process.env.LIBTORCH ?? 'system (libtorch-dev)',
    version: info.runtimeTorchVersion,
    builtAgainst: info.torchVersion,
    threads: info.threads,
    blas: loadedBlas(),
    mkldnn: info.mkldnn,
    cuda: info.cudaAvailable ? `available, ${info.cudaDevices} device(s)` : 'not available',
    cudaDevices: native.cudaDevices().devices,
    cpuBf16: cpuBf16(),
  };
}
