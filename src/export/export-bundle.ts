// `pneumo export`: a bundle's two models as classifier.onnx and segmenter.onnx, with a copy of
// bundle.json beside them (the thresholds and the input contract are also in each file's metadata).
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { loadBundle, readBundleManifest } from '../pipeline/bundle.js';
import { BUNDLE_MANIFEST, modelFiles } from '../pipeline/bundle-manifest.js';
import { ExportError } from './export-error.js';
import { exportModel, type ExportModelOptions, type ModelRole } from './export-model.js';

export const ONNX_FILES: Record<ModelRole, string> = { classifier: 'classifier.onnx', segmenter: 'segmenter.onnx' };

export interface ExportedFile {
  role: ModelRole;
  file: string;
  bytes: number;
}

/**
 * Writes both models of the bundle at `bundleDir` into `outDir` (created if needed). An ensemble
 * bundle is refused before any model loads: its output is the mean of several models per role, and
 * the ONNX pair (classifier.onnx, segmenter.onnx) that readers of an export expect holds one each.
 */
export async function exportBundle(
  bundleDir: string,
  outDir: string,
  options: ExportModelOptions = {},
): Promise<ExportedFile[]> {
  const manifest = await readBundleManifest(bundleDir);
  const ensembles = (['classifier', 'segmenter'] as const).filter((role) => modelFiles(manifest[role]).length > 1);
  if (ensembles.length > 0)
    throw new ExportError(
      `${bundleDir}: an ensemble bundle (${ensembles.map((role) => `${modelFiles(manifest[role]).length} ${role} folds`).join(', ')}) cannot be exported: ONNX export writes one model per role, and the ensemble's output is the mean of its members; export a bundle made from one fold`,
    );
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
