// `pneumo export`: a bundle's two models as classifier.onnx and segmenter.onnx, with a copy of
// bundle.json beside them (the thresholds and the input contract are also in each file's metadata);
// with int8 calibration data, also classifier.int8.onnx and segmenter.int8.onnx (export-int8.ts).
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import * as torch from '../torch/index.js';
import { loadBundle, readBundleManifest } from '../pipeline/bundle.js';
import { BUNDLE_MANIFEST, modelFiles } from '../pipeline/bundle-manifest.js';
import { ExportError } from './export-error.js';
import { exportModel, type ExportModelOptions, type ModelRole } from './export-model.js';
import { calibrationFiles, int8Model, weightsFingerprint, type CalibrationOptions } from './export-int8.js';

export const ONNX_FILES: Record<ModelRole, string> = { classifier: 'classifier.onnx', segmenter: 'segmenter.onnx' };
export const INT8_ONNX_FILES: Record<ModelRole, string> = {
  classifier: 'classifier.int8.onnx',
  segmenter: 'segmenter.int8.onnx',
};

/** Where `--runtime onnx-int8` looks for the int8 export: `pneumo export --int8 --out BUNDLE/onnx`. */
export const BUNDLE_ONNX_FOLDER = 'onnx';

export interface ExportedFile {
  role: ModelRole;
  precision: 'fp32' | 'int8';
  file: string;
  bytes: number;
  /** int8: the films the activations were calibrated on, and those that could not be read. */
  calibration?: { images: number; skipped: { file: string; reason: string }[] };
}

export interface ExportBundleOptions extends ExportModelOptions {
  /** Also write the int8 QDQ models, calibrated on these films. */
  int8?: CalibrationOptions;
}

/**
 * Writes both models of the bundle at `bundleDir` into `outDir` (created if needed). An ensemble
 * bundle is refused before any model loads: its output is the mean of several models per role, and
 * the ONNX pair (classifier.onnx, segmenter.onnx) that readers of an export expect holds one each.
 */
export async function exportBundle(
  bundleDir: string,
  outDir: string,
  options: ExportBundleOptions = {},
): Promise<ExportedFile[]> {
  const manifest = await readBundleManifest(bundleDir);
  const ensembles = (['classifier', 'segmenter'] as const).filter((role) => modelFiles(manifest[role]).length > 1);
  if (ensembles.length > 0)
    throw new ExportError(
      `${bundleDir}: an ensemble bundle (${ensembles.map((role) => `${modelFiles(manifest[role]).length} ${role} folds`).join(', ')}) cannot be exported: ONNX export writes one model per role, and the ensemble's output is the mean of its members; export a bundle made from one fold`,
    );
  const bundle = await loadBundle(bundleDir);
  try {
    const films = options.int8 ? await calibrationFiles(options.int8) : [];
    await mkdir(outDir, { recursive: true });
    const written: ExportedFile[] = [];
    for (const role of ['classifier', 'segmenter'] as const) {
      const bytes = exportModel(bundle[role], role, bundle.manifest, options);
      const file = path.join(outDir, ONNX_FILES[role]);
      await writeFile(file, bytes);
      written.push({ role, precision: 'fp32', file, bytes: bytes.byteLength });
      if (!options.int8) continue;
      const int8 = await int8Model(
        bytes,
        bundle.manifest[role].input,
        films,
        options.int8.threads ?? torch.getNumThreads(),
        weightsFingerprint(path.join(bundle.dir, bundle.manifest[role].weights)),
      );
      const int8File = path.join(outDir, INT8_ONNX_FILES[role]);
      await writeFile(int8File, int8.bytes);
      written.push({
        role,
        precision: 'int8',
        file: int8File,
        bytes: int8.bytes.byteLength,
        calibration: { images: int8.images, skipped: int8.skipped },
      });
    }
    // The manifest as this pneumo reads it (a version-1 bundle's gains its input sections).
    await writeFile(path.join(outDir, BUNDLE_MANIFEST), JSON.stringify(bundle.manifest, null, 2) + '\n');
    return written;
  } finally {
    bundle.dispose();
  }
}
