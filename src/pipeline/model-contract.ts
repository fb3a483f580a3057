// What the pipeline needs of a model, and where models come from. Models are rebuilt from plain data,
// an architecture name and a JSON config (src/models' registry), then given their weights. The
// outputs the pipeline reads:
//   classifier: forward(x [N,1,H,W]) -> logits [N] (or [N,1]);
//   segmenter (U-Net): forward(x) -> {mask: [N,1,H,W] logits, label?: [N] logits} (or the mask tensor).
import type { nn, Tensor } from '../torch/index.js';
import {
  MODELS,
  createModel,
  createModelFromConfig,
  type ModelConfig as RegistryModelConfig,
  type ModelOptions,
} from '../models/index.js';

export type ModelConfig = Record<string, unknown>;

/** A model the pipeline can run. */
export type PipelineModel = nn.Module & { forward(input: Tensor): unknown };

/** Builds a model with fresh weights from its architecture name and config. */
export type ModelFactory = (architecture: string, config: ModelConfig) => PipelineModel;

/** The architecture name is not in the registry; `known` lists the names that are. */
export class UnknownArchitectureError extends Error {
  override name = 'UnknownArchitectureError';
  constructor(
    readonly architecture: string,
    readonly known: readonly string[],
  ) {
    super(`unknown architecture \`${architecture}\`${known.length ? `, supported: ${known.join(', ')}` : ''}`);
  }
}

/**
 * The project's model registry (src/models) as a ModelFactory: an unknown name is an
 * UnknownArchitectureError; a config that carries its own name (as training records it) is rebuilt
 * as it is, any other is taken as options over the registry's defaults.
 */
export const registryModelFactory: ModelFactory = (architecture, config) => {
  if (!Object.hasOwn(MODELS, architecture)) throw new UnknownArchitectureError(architecture, Object.keys(MODELS));
  if (config.name === architecture) return createModelFromConfig(config as unknown as RegistryModelConfig);
  return createModel(architecture, config as ModelOptions);
};

function isTensor(value: unknown): value is Tensor {
  return typeof value === 'object' && value !== null && 'shape' in value && 'dispose' in value;
}

/** The classifier's logits as [N], from any of the output shapes above. */
export function classifierLogits(output: unknown): Tensor {
  const t = isTensor(output) ? output : (output as { label?: unknown })?.label;
  if (!isTensor(t)) throw new Error('the classifier returned neither a tensor nor {label}');
  return t.reshape([-1]);
}

/** The segmenter's mask logits as [N,1,H,W]. */
export function maskLogits(output: unknown): Tensor {
  const t = isTensor(output) ? output : (output as { mask?: unknown })?.mask;
  if (!isTensor(t) || t.shape.length !== 4)
    throw new Error('the segmenter returned neither a [N,1,H,W] tensor nor {mask}');
  return t;
}
