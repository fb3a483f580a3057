// One safetensors file holding an optimizer's state for resumed training: the state tensors under
// their state-dict names and the JSON part in the file's metadata.
import { saveSafetensors, loadSafetensorsWithMetadata, SafetensorsError } from '../safetensors.js';
import { scope } from '../scope.js';
import type { Optimizer, OptimizerMeta } from './optimizer.js';

const META_KEY = 'pneumo.optimizer';

/** Writes the optimizer's state to a safetensors file (atomically); extra metadata strings ride along. */
export function saveOptimizerState(
  file: string,
  optimizer: Optimizer,
  extraMetadata: Record<string, string> = {},
): void {
  const { tensors, meta } = optimizer.stateDict();
  saveSafetensors(file, tensors, { ...extraMetadata, [META_KEY]: JSON.stringify(meta) });
}

/** Restores state written by saveOptimizerState into an optimizer over the same parameters; returns the file's metadata. */
export function loadOptimizerState(file: string, optimizer: Optimizer): Record<string, string> {
  return scope(() => {
    const { tensors, metadata } = loadSafetensorsWithMetadata(file);
    const text = metadata[META_KEY];
    if (text === undefined)
      throw new SafetensorsError(file, `no optimizer state (metadata key ${META_KEY} is missing)`);
    let meta: OptimizerMeta;
    try {
      meta = JSON.parse(text) as OptimizerMeta;
    } catch (err) {
      throw new SafetensorsError(file, `optimizer state is not valid JSON (${(err as Error).message})`);
    }
    optimizer.loadStateDict({ tensors, meta });
    return metadata;
  });
}
