// The public torch API: `import * as torch from '../torch/index.js'`.
import './tensor-methods.js';
export { Tensor, liveTensors, type Shape } from './tensor.js';
export { scope } from './scope.js';
export { noGrad, enableGrad, setNumThreads, getNumThreads } from './grad-mode.js';
export {
  autocast,
  autocastState,
  inferenceMode,
  isInferenceMode,
  type AutocastDevice,
  type AutocastOptions,
  type LowPrecision,
} from './autocast.js';
export {
  parseDeviceRequest,
  resolveDevice,
  cudaDeviceCount,
  cudaDevices,
  isCuda,
  DeviceError,
  type DeviceRequest,
} from './device.js';
export {
  parsePrecision,
  checkPrecision,
  withPrecision,
  toFloat32,
  PRECISIONS,
  PrecisionError,
  type Precision,
} from './precision.js';
export type { DType } from './dtype.js';
export * from './ops/index.js';
export * as nn from './nn/index.js';
export * as optim from './optim/index.js';
export {
  saveSafetensors,
  loadSafetensors,
  loadSafetensorsWithMetadata,
  readSafetensorsHeader,
  SafetensorsError,
  type SafetensorsEntry,
  type SafetensorsHeader,
} from './safetensors.js';
export {
  loadTorchCheckpoint,
  sniffWeightsFormat,
  CheckpointError,
  WRAPPED_STATE_DICT_KEYS,
  type TorchCheckpoint,
  type CheckpointLayout,
} from './checkpoint.js';
export { loadWeightsFile, type WeightsFile } from './weights-file.js';
export { emptyCache, cpuCacheInfo, type CpuCacheInfo } from './memory.js';
