import '../tensor-methods.js';
export {
  Optimizer,
  OptimizerStateError,
  type BaseHyperparameters,
  type ParamGroup,
  type ParamGroupSpec,
  type ParamState,
  type OptimizerMeta,
  type OptimizerStateDict,
} from './optimizer.js';
export { SGD, type SGDHyperparameters, type SGDOptions } from './sgd.js';
export { Adam, AdamW, type AdamHyperparameters, type AdamOptions } from './adam.js';
export { clipGradNorm, NonFiniteGradientError, type ClipGradNormOptions } from './clip-grad-norm.js';
export {
  CosineWarmup,
  StepDecay,
  ReduceOnPlateau,
  ScheduleStateError,
  type LrSchedule,
  type HasParamGroups,
  type CosineWarmupOptions,
  type StepDecayOptions,
  type ReduceOnPlateauOptions,
} from './schedules.js';
export { saveOptimizerState, loadOptimizerState } from './state-file.js';
export { GradScaler, type GradScalerOptions, type GradScalerState } from './grad-scaler.js';
