// The only module that loads the compiled addon; everything else imports the typed surface from here.
import { createRequire } from 'node:module';
import { existsSync } from 'node:fs';
import { addonFile } from '../project-paths.js';
import { readEngineEnvironment } from './environment.js';

export interface NativeInfo {
  /** The libtorch version the addon was compiled against (its headers). */
  torchVersion: string;
  /** The version of the libtorch loaded in this process (its own build configuration). */
  runtimeTorchVersion: string;
  threads: number;
  interopThreads: number;
  cudaAvailable: boolean;
  cudaDevices: number;
  mkldnn: boolean;
  parallelInfo: string;
  config: string;
}

/** The addon's handle on one at::Tensor. Only src/torch/tensor.ts holds these. */
export interface NativeTensor {
  dispose(): void;
  isDisposed(): boolean;
  shape(): number[];
  dtype(): number;
  device(): string;
  toBuffer(): ArrayBuffer;
  item(): number | boolean;
  requiresGrad(): boolean;
  setRequiresGrad(on: boolean): void;
  grad(): NativeTensor | null;
  zeroGrad(): void;
  backward(gradient?: NativeTensor, retainGraph?: boolean): void;
  detach(): NativeTensor;
  copyFrom(source: NativeTensor): void;
}

/** A value the dispatcher accepts for one schema argument. */
export type NativeArg = NativeTensor | number | boolean | string | null | undefined | NativeArg[];
export type NativeResult = NativeTensor | number | boolean | null | NativeResult[];

export interface NativeAddon {
  info(): NativeInfo;
  setNumThreads(n: number): void;
  fromBuffer(data: ArrayBufferView, dtype: number, shape: number[]): NativeTensor;
  liveTensors(): number;
  setGradEnabled(on: boolean): boolean;
  manualSeed(seed: number): void;
  findOp(name: string, overload: string): number;
  opSchema(handle: number): string;
  callOp(handle: number, args: NativeArg[]): NativeResult;
  emptyCache(): void;
  cpuCacheInfo(): CpuCacheInfo;
  ProcessGroup: new (options: NativeProcessGroupOptions) => NativeProcessGroup;
  Reducer: new (
    group: NativeProcessGroup,
    params: NativeTensor[],
    bucketBytes: number,
    firstBucketBytes: number,
  ) => NativeReducer;
  autocastState(device: 'cpu' | 'cuda'): { enabled: boolean; dtype: number };
  setAutocast(device: 'cpu' | 'cuda', enabled: boolean, dtype: number): void;
  autocastIncrementNesting(): number;
  autocastDecrementNesting(): number;
  autocastClearCache(): void;
  inferenceMode<T>(fn: () => T): T;
  isInferenceMode(): boolean;
  cudaDevices(): CudaDeviceList;
}

/** How one rank joins a Gloo group over a TCPStore (native/distributed.cc). */
export interface NativeProcessGroupOptions {
  masterAddr: string;
  masterPort: number;
  rank: number;
  worldSize: number;
  timeoutMs: number;
  /** The address Gloo binds for this rank; absent: the interface, else libtorch's default. */
  localAddress?: string;
  /** A network interface name (as GLOO_SOCKET_IFNAME). */
  interface?: string;
}

/** c10d's ProcessGroupGloo; every collective blocks until done and throws on a timeout or a lost peer. */
export interface NativeProcessGroup {
  allReduce(tensors: NativeTensor[], op: string): void;
  /** A new tensor: the sum over the ranks, differentiable (its backward all-reduces the gradient). */
  allReduceWithGrad(tensor: NativeTensor): NativeTensor;
  broadcast(tensor: NativeTensor, root: number): void;
  broadcastCoalesced(tensors: NativeTensor[], root: number, bufferBytes: number): void;
  allGather(tensor: NativeTensor): NativeTensor[];
  barrier(): void;
  close(): void;
}

/** c10d's DDP Reducer over a set of parameters. */
export interface NativeReducer {
  prepareForward(): void;
  prepareBackward(): void;
  dispose(): void;
}

/** CUDA devices as the driver reports them (native/cuda-devices.cc). */
export interface CudaDevice {
  index: number;
  name: string;
  totalMemory: number;
  /** "major.minor" */
  computeCapability: string;
  multiprocessors: number;
}

export interface CudaDeviceList {
  driverVersion: string | null;
  devices: CudaDevice[];
  /** Why there are none, where there is no usable driver. */
  reason?: string;
}

/** The addon's reuse cache of large CPU blocks (native/allocator.cc). */
export interface CpuCacheInfo {
  cachedBytes: number;
  limitBytes: number;
  hits: number;
  misses: number;
}

function loadAddon(): NativeAddon {
  const file = addonFile('pneumo_torch');
  if (!existsSync(file)) {
    throw new Error(
      `the native engine is not built (${file} is missing).\n` +
        'Possible solutions:\n' +
        '- run `bash scripts/setup.sh` (installs libtorch-dev and builds the addon)\n' +
        '- or, with libtorch already present, run `npx node-gyp rebuild` (set LIBTORCH=/path/to/libtorch for a custom build)',
    );
  }
  const require = createRequire(import.meta.url);
  return require(file) as NativeAddon;
}

// Checked before the addon loads: its allocator reads PNEUMO_CPU_CACHE_MB when it starts.
const environment = readEngineEnvironment();

export const native: NativeAddon = loadAddon();

// libtorch's OpenMP pool can start with a single thread here; use every core unless told otherwise.
native.setNumThreads(environment.threads);
