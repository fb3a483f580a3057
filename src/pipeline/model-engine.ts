// What the predictor asks of an inference engine: the two models' probabilities for a preprocessed
// batch. libtorch runs the bundle's own modules; ONNX Runtime runs their export (onnx-engine.ts): fp32
// exported in memory, or the int8 export kept in the bundle folder (onnx-int8). For an ensemble bundle
// each engine gives the mean of its members' probabilities.
import type * as torch from '../torch/index.js';
import type { LoadedBundle } from './bundle.js';
import { classifierLogits, maskLogits } from './model-contract.js';
import { hasGateFeatures } from './gate-features.js';

export const RUNTIMES = ['libtorch', 'onnx', 'onnx-int8'] as const;
export type Runtime = (typeof RUNTIMES)[number];

export interface ModelEngine {
  readonly runtime: Runtime;
  /** Classifier probabilities, [N], for a preprocessed [N,1,H,W] batch. */
  classifierProbability(input: torch.Tensor): torch.Tensor;
  /**
   * Classifier probabilities and the input gate's features (gate-features.ts), [N] and [N, C] fp32;
   * throws when the classifier cannot give them.
   */
  classifierWithFeatures(input: torch.Tensor): { probability: torch.Tensor; features: torch.Tensor };
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

/** The classifier's pooled features through the bundle's libtorch module, [N, C] fp32. */
export function libtorchFeatures(bundle: LoadedBundle, input: torch.Tensor): torch.Tensor {
  if (!hasGateFeatures(bundle.classifier)) throw new Error('the classifier gives no pooled features for the gate');
  return bundle.classifier.pooledFeatures(input).float();
}

const probabilityOf = (model: LoadedBundle['classifier'], input: torch.Tensor) =>
  classifierLogits(model.forward(input)).float().sigmoid();

/**
 * The bundle's libtorch modules, outputs brought to fp32 before the sigmoid (low-precision autocast);
 * an ensemble's probabilities averaged over its members. The gate's features are the first member's.
 */
export function libtorchEngine(bundle: LoadedBundle): ModelEngine {
  return {
    runtime: 'libtorch',
    classifierProbability: (input) => meanOfMembers(bundle.classifiers, (model) => probabilityOf(model, input)),
    classifierWithFeatures: (input) => {
      const [first, ...rest] = bundle.classifiers;
      if (!hasGateFeatures(first)) throw new Error('the classifier gives no pooled features for the gate');
      const { output, features } = first.forwardWithFeatures(input);
      const own = classifierLogits(output).float().sigmoid();
      const probability = meanOfMembers([own, ...rest.map((model) => probabilityOf(model, input))], (p) => p);
      return { probability, features: features.float() };
    },
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
