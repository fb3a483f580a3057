// What the pipeline needs of a model, and where models come from. Models are rebuilt from plain data,
// an architecture name and a JSON config (issue 5: `createModel(name, config)` in src/models), then
// given their weights. The outputs the pipeline reads:
//   classifier: forward(x [N,1,H,W]) -> logits [N] (or [N,1]);
//   segmenter (U-Net): forward(x) -> {mask: [N,1,H,W] logits, label?: [N] logits} (or the mask tensor).
import type { nn, Tensor } from '../torch/index.js';

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

interface ModelRegistryModule {
  /** Builds by name with options (defaults filled in by the registry). */
  createModel(name: string, options: ModelConfig): PipelineModel;
  /** Builds from a resolved config (it carries its own name), as training records it. */
  createModelFromConfig?: (config: ModelConfig) => PipelineModel;
  MODELS?: Record<string, unknown>;
}

// src/models lives on its own branch; the specifier is a variable so that this file compiles before
// that branch is merged, and fails with a clear message at run time instead.
const MODELS_MODULE = '../models/index.js';

/** The project's model registry (src/models), wrapped so that an unknown name is an UnknownArchitectureError. */
export async function registryModelFactory(): Promise<ModelFactory> {
  let registry: ModelRegistryModule;
  try {
    registry = (await import(MODELS_MODULE)) as ModelRegistryModule;
  } catch (err) {
    throw new Error(`the model registry (src/models) is not available in this build: ${(err as Error).message}`);
  }
  return (architecture, config) => {
    const known = Object.keys(registry.MODELS ?? {});
    if (known.length > 0 && !known.includes(architecture)) throw new UnknownArchitectureError(architecture, known);
    if (registry.createModelFromConfig && config.name === architecture) return registry.createModelFromConfig(config);
    return registry.createModel(architecture, config);
  };
}

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
