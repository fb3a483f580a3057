// What the predictor asks of an inference engine: the two models' probabilities for a preprocessed
// batch. libtorch runs the bundle's own modules; ONNX Runtime runs their export (onnx-engine.ts): fp32
// exported in memory, or the int8 export kept in the bundle folder (onnx-int8).
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

/** The bundle's libtorch modules, outputs brought to fp32 before the sigmoid (low-precision autocast). */
export function libtorchEngine(bundle: LoadedBundle): ModelEngine {
  return {
    runtime: 'libtorch',
    classifierProbability: (input) => classifierLogits(bundle.classifier.forward(input)).float().sigmoid(),
    maskProbability: (input) => maskLogits(bundle.segmenter.forward(input)).float().sigmoid(),
    dispose: () => {},
  };
}

export function parseRuntime(value: string): Runtime {
  if (!(RUNTIMES as readonly string[]).includes(value))
    throw new Error(`unknown runtime \`${value}\` (runtimes: ${RUNTIMES.join(', ')})`);
  return value as Runtime;
}
