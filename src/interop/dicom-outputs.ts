// `predict --dicom-out DIR`: for every predicted DICOM input, its SEG (positives), SC and SR written
// as ID.seg.dcm, ID.sc.dcm and ID.sr.dcm. Plugged into predictFiles as its derivedOutputs, so the
// pipeline knows nothing of DICOM writing.
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { BundleManifest } from '../pipeline/bundle-manifest.js';
import { safeFileStem, type PredictedImage } from '../pipeline/predict-files.js';
import { algorithmOfBundle, deviceObserverUid } from './common-modules.js';
import { buildResultObjects, type EmptySegmentation, type ResultKind, type ResultObject } from './result-objects.js';
import { readSourceImage } from './source-image.js';

export interface DicomOutputOptions {
  dir: string;
  manifest: BundleManifest;
  emptySegmentation?: EmptySegmentation;
  /** Called with each image's objects after they are written (DICOMweb push collects them). */
  onObjects?: (objects: readonly ResultObject[], files: Record<ResultKind, string | null>) => void;
}

export type DicomOutputFiles = Record<ResultKind, string | null>;

/** A derivedOutputs hook for predictFiles that writes the DICOM objects of each DICOM input. */
export function dicomOutputWriter(
  o: DicomOutputOptions,
): (item: PredictedImage) => Promise<{ dicom: DicomOutputFiles }> {
  const algorithm = algorithmOfBundle(o.manifest);
  const observerUid = deviceObserverUid();
  const dir = path.resolve(o.dir);
  return async (item) => {
    if (!item.isDicom)
      throw new Error(`${path.basename(item.file)}: not a DICOM file, so no DICOM objects were written (--dicom-out)`);
    const bytes = await readFile(item.file);
    const source = readSourceImage(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.length), item.file);
    const objects = await buildResultObjects({
      source,
      image: item.image,
      prediction: item.prediction,
      banner: item.banner,
      algorithm,
      observerUid,
      emptySegmentation: o.emptySegmentation,
    });
    await mkdir(dir, { recursive: true });
    const files: DicomOutputFiles = { seg: null, sc: null, sr: null };
    const stem = safeFileStem(item.id);
    for (const object of objects) {
      const name = `${stem}.${object.kind}.dcm`;
      await writeFile(path.join(dir, name), object.bytes);
      files[object.kind] = name;
    }
    o.onObjects?.(objects, files);
    return { dicom: files };
  };
}
