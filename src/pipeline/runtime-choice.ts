// `--runtime auto` (the default): the engine the measurement chose (docs/deploy.md, "Which runtime").
// ONNX Runtime int8 is the fastest engine that keeps the masks within the agreed Dice of libtorch's,
// so it runs wherever the bundle holds its int8 export (BUNDLE/onnx, made by `pneumo export --int8`)
// and the run is fp32 on the CPU; everywhere else libtorch, the bundle as trained. An int8 export made
// from other weights is not used (the note says so and how to make it again).
import { existsSync } from 'node:fs';
import path from 'node:path';
import { readBundleManifest } from './bundle.js';
import type { Runtime } from './model-engine.js';
import { BUNDLE_ONNX_FOLDER, INT8_ONNX_FILES } from '../export/export-bundle.js';
import { int8ExportMatches } from './onnx-engine.js';

export type RuntimeRequest = Runtime | 'auto';

export interface RuntimeChoice {
  runtime: Runtime;
  /** A line for the user when auto chose int8 or passed over a stale int8 export; null otherwise. */
  note: string | null;
}

export async function chooseRuntime(
  bundleDir: string,
  requested: RuntimeRequest,
  compute: { precision?: string; device?: string } = {},
): Promise<RuntimeChoice> {
  if (requested !== 'auto') return { runtime: requested, note: null };
  const onnxDir = path.join(bundleDir, BUNDLE_ONNX_FOLDER);
  const files = Object.values(INT8_ONNX_FILES).map((f) => path.join(onnxDir, f));
  if (!files.every((f) => existsSync(f))) return { runtime: 'libtorch', note: null };
  if ((compute.precision ?? 'fp32') !== 'fp32' || (compute.device ?? 'cpu') !== 'cpu')
    return { runtime: 'libtorch', note: null };
  const manifest = await readBundleManifest(bundleDir);
  const stale = (['classifier', 'segmenter'] as const).filter((role) => !int8ExportMatches(bundleDir, manifest, role));
  if (stale.length > 0)
    return {
      runtime: 'libtorch',
      note:
        `runtime: libtorch (${onnxDir} holds an int8 export of other weights for the ${stale.join(' and ')}; ` +
        `export again with: pneumo export --bundle ${bundleDir} --out ${onnxDir} --int8 --calibrate-on DATA)`,
    };
  return {
    runtime: 'onnx-int8',
    note: `runtime: onnx-int8 (the int8 export in ${onnxDir}; --runtime libtorch runs the bundle as trained)`,
  };
}
