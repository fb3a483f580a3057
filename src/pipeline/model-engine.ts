// What the predictor asks of an inference engine: the two models' probabilities for a preprocessed
// batch. libtorch runs the bundle's own modules; ONNX Runtime runs their export (onnx-engine.ts).
import type * as torch from '../torch/index.js';
import type { LoadedBundle } from './bundle.js';
import { classifierLogits, maskLogits } from './model-contract.js';
import { hasGateFeatures } from './gate-features.js';

export const RUNTIMES = ['libtorch', 'onnx'] as const;
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

/** The classifier's pooled features through the bundle's libtorch module, [N, C] fp32. */
export function libtorchFeatures(bundle: LoadedBundle, input: torch.Tensor): torch.Tensor {
  if (!hasGateFeatures(bundle.classifier)) throw new Error('the classifier gives no pooled features for the gate');
  return bundle.classifier.pooledFeatures(input).float();
}

/** The bundle's libtorch modules, outputs brought to fp32 before the sigmoid (low-precision autocast). */
export function libtorchEngine(bundle: LoadedBundle): ModelEngine {
  return {
    runtime: 'libtorch',
    classifierProbability: (input) => classifierLogits(bundle.classifier.forward(input)).float().sigmoid(),
    classifierWithFeatures: (input) => {
      const model = bundle.classifier;
      if (!hasGateFeatures(model)) throw new Error('the classifier gives no pooled features for the gate');
      const { output, features } = model.forwardWithFeatures(input);
      return { probability: classifierLogits(output).float().sigmoid(), features: features.float() };
    },
    maskProbability: (input) => maskLogits(bundle.segmenter.forward(input)).float().sigmoid(),
    dispose: () => {},
  };
}

export function parseRuntime(value: string): Runtime {
  if (!(RUNTIMES as readonly string[]).includes(value))
    throw new Error(`unknown runtime \`${value}\` (runtimes: ${RUNTIMES.join(', ')})`);
  return value as Runtime;
}
