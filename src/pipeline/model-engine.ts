// What the predictor asks of an inference engine: the two models' probabilities for a preprocessed
// batch. libtorch runs the bundle's own modules; ONNX Runtime runs their export (onnx-engine.ts): fp32
// exported in memory, or the int8 export kept in the bundle folder (onnx-int8). For an ensemble bundle
// each engine gives the mean of its members' probabilities.
import type * as torch from '../torch/index.js';
import type { LoadedBundle } from './bundle.js';
import { classifierLogits, maskLogits } from './model-contract.js';

export const RUNTIMES = ['libtorch', 'onnx', 'onnx-int8'] as const;
export type Runtime = (typeof RUNTIMES)[number];

export interface ModelEngine {
  readonly runtime: Runtime;
  /** Classifier probabilities, [N], for a preprocessed [N,1,H,W] batch. */
  classifierProbability(input: torch.Tensor): torch.Tensor;
  /** Segmenter probabilities, [N,1,H,W]. */
  maskProbability(input: torch.Tensor): torch.Tensor;
  dispose(): void;
}

/**
 * The mean of the members' outputs; one member's output as it is, so that a single-model bundle's
 * probabilities are exactly what its model gives.
 */
export function meanOfMembers<M>(members: readonly M[], run: (member: M) => torch.Tensor): torch.Tensor {
  let sum = run(members[0]);
  if (members.length === 1) return sum;
  for (let i = 1; i < members.length; i++) sum = sum.add(run(members[i]));
  return sum.div(members.length);
}

/**
 * The bundle's libtorch modules, outputs brought to fp32 before the sigmoid (low-precision autocast);
 * an ensemble's probabilities averaged over its members.
 */
export function libtorchEngine(bundle: LoadedBundle): ModelEngine {
  return {
    runtime: 'libtorch',
    classifierProbability: (input) =>
      meanOfMembers(bundle.classifiers, (model) => classifierLogits(model.forward(input)).float().sigmoid()),
    maskProbability: (input) =>
      meanOfMembers(bundle.segmenters, (model) => maskLogits(model.forward(input)).float().sigmoid()),
    dispose: () => {},
  };
}

export function parseRuntime(value: string): Runtime {
  if (!(RUNTIMES as readonly string[]).includes(value))
    throw new Error(`unknown runtime \`${value}\` (runtimes: ${RUNTIMES.join(', ')})`);
  return value as Runtime;
}
