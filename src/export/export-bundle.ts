// `pneumo export`: a bundle's two models as classifier.onnx and segmenter.onnx, with a copy of
// bundle.json beside them (the thresholds and the input contract are also in each file's metadata).
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { loadBundle } from '../pipeline/bundle.js';
import { BUNDLE_MANIFEST } from '../pipeline/bundle-manifest.js';
import { exportModel, type ExportModelOptions, type ModelRole } from './export-model.js';

export const ONNX_FILES: Record<ModelRole, string> = { classifier: 'classifier.onnx', segmenter: 'segmenter.onnx' };

export interface ExportedFile {
  role: ModelRole;
  file: string;
  bytes: number;
}

/** Writes both models of the bundle at `bundleDir` into `outDir` (created if needed). */
export async function exportBundle(
  bundleDir: string,
  outDir: string,
  options: ExportModelOptions = {},
): Promise<ExportedFile[]> {
  const bundle = await loadBundle(bundleDir);
  try {
    await mkdir(outDir, { recursive: true });
    const written: ExportedFile[] = [];
    for (const role of ['classifier', 'segmenter'] as const) {
      const bytes = exportModel(bundle[role], role, bundle.manifest, options);
      const file = path.join(outDir, ONNX_FILES[role]);
      await writeFile(file, bytes);
      written.push({ role, file, bytes: bytes.byteLength });
    }
    // The manifest as this pneumo reads it (a version-1 bundle's gains its input sections).
    await writeFile(path.join(outDir, BUNDLE_MANIFEST), JSON.stringify(bundle.manifest, null, 2) + '\n');
    return written;
  } finally {
    bundle.dispose();
  }
}
