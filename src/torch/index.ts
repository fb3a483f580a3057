// The public torch API: `import * as torch from '../torch/index.js'`.
export { Tensor, tensor, liveTensors, type Shape } from './tensor.js';
export { scope } from './scope.js';
export { noGrad, enableGrad, setNumThreads } from './grad-mode.js';
export type { DType } from './dtype.js';
export * from './ops/index.js';
export * as nn from './nn/index.js';
