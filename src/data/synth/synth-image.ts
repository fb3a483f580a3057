// Renders one case and writes its DICOM file where the Kaggle layout puts it:
// dicom-images-train/<StudyInstanceUID>/<SeriesInstanceUID>/<SOPInstanceUID>.dcm.
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { encodeRle } from '../rle.js';
import type { SynthOptions } from './options.js';
import { renderCase } from './radiograph.js';
import { siimDicom } from './siim-dicom.js';

export const DICOM_FOLDER = 'dicom-images-train';

/** What the dataset writer needs to know about one written image (plain data: it crosses threads). */
export interface SynthImageRecord {
  index: number;
  imageId: string;
  /** Path of the DICOM file relative to the dataset folder, with forward slashes. */
  file: string;
  positive: boolean;
  /** One SIIM RLE string per separate part of the pneumothorax; empty for a negative image. */
  rleRows: string[];
  /** Pixels inside the pneumothorax (all parts). */
  maskPixels: number;
  /** 'right' is the patient's right (image left). */
  side: 'right' | 'left' | null;
  sex: 'M' | 'F';
  /** PatientAge as written in the header. */
  age: string;
  view: 'PA' | 'AP';
  pixelSpacing: number;
  implausibleAge: boolean;
  duplicateRow: boolean;
  /** Pleural-line contrast and the share of lung texture the air replaces (positives; null otherwise). */
  lineContrast: number | null;
  textureLoss: number | null;
  /** The lung a chest drain runs in ('right' is the patient's right), or null without a drain. */
  chestDrain: 'right' | 'left' | null;
  /** ECG electrodes on the film (each with its lead). */
  ecgLeads: number;
  /** The lung a skin fold crosses, or null. */
  skinFold: 'right' | 'left' | null;
}

const sideOf = (lung: 0 | 1): 'right' | 'left' => (lung === 0 ? 'right' : 'left');
const rounded = (v: number) => Math.round(v * 1000) / 1000;

export async function writeSynthImage(options: SynthOptions, index: number, outDir: string): Promise<SynthImageRecord> {
  const c = renderCase(options, index);
  const m = c.metadata;
  const file = [DICOM_FOLDER, m.studyInstanceUid, m.seriesInstanceUid, `${m.sopInstanceUid}.dcm`].join('/');
  const bytes = await siimDicom(m, c.pixels, c.size, options.transferSyntax, options.jpegQuality);
  const full = path.join(outDir, file);
  await mkdir(path.dirname(full), { recursive: true });
  await writeFile(full, bytes);
  let maskPixels = 0;
  for (const part of c.parts) for (let i = 0; i < part.data.length; i++) maskPixels += part.data[i];
  return {
    index,
    imageId: m.sopInstanceUid,
    file,
    positive: c.parts.length > 0,
    rleRows: c.parts.map((part) => encodeRle(part)),
    maskPixels,
    side: c.side,
    sex: m.patientSex,
    age: m.patientAge,
    view: m.viewPosition,
    pixelSpacing: m.pixelSpacing,
    implausibleAge: c.implausibleAge,
    duplicateRow: c.duplicateRow,
    lineContrast: c.difficulty ? rounded(c.difficulty.lineContrast) : null,
    textureLoss: c.difficulty ? rounded(c.difficulty.textureLoss) : null,
    chestDrain: c.confounders.chestDrain ? sideOf(c.confounders.chestDrain.lung) : null,
    ecgLeads: c.confounders.ecgLeads.length,
    skinFold: c.confounders.skinFold ? sideOf(c.confounders.skinFold.lung) : null,
  };
}
