// Data-parallel training on c10d: `import * as distributed from '../torch/distributed/index.js'`.
export {
  ProcessGroup,
  DistributedError,
  DEFAULT_TIMEOUT_MS,
  type ProcessGroupOptions,
  type ReduceOp,
} from './process-group.js';
export { DataParallel, type DataParallelOptions } from './data-parallel.js';
export { localAddressToward } from './local-address.js';
export { rankFromEnv, type RankEnv } from './env.js';
export { convertSyncBatchNorm } from './sync-batchnorm.js';
