// A small synthetic SIIM set in the Kaggle layout for the fit tests: dicom-images-train/<study>/<series>/
// <uid>.dcm (synth's own layout) with the labels as stage_2_train.csv, and one patient who owns two
// films (the second film's PatientID rewritten to the first's, byte for byte: same length).
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { writeSynthDataset } from '../../src/data/synth/dataset-writer.js';
import { findDicomFiles } from '../../src/data/dataset.js';
import { readDicomHeader } from '../../src/data/dicom/index.js';

export interface KaggleSet {
  dir: string;
  /** The two films of the shared patient. */
  sharedPatientFilms: [string, string];
  images: number;
}

export async function writeKaggleSet(dir: string, n: number, seed: number, labels = true): Promise<KaggleSet> {
  await writeSynthDataset(dir, { n, size: 256, seed, positiveRate: 0.4, workers: 1 });
  if (labels) renameSync(path.join(dir, 'train-rle.csv'), path.join(dir, 'stage_2_train.csv'));
  else renameSync(path.join(dir, 'train-rle.csv'), path.join(dir, 'labels-kept-aside.csv.txt'));
  const files = await findDicomFiles(dir);
  const [a, b] = [files[0], files[1]];
  const [ha, hb] = [await readDicomHeader(a), await readDicomHeader(b)];
  if (!ha.patientId || !hb.patientId || ha.patientId.length !== hb.patientId.length)
    throw new Error('synthetic films without same-length PatientIDs');
  const bytes = readFileSync(b);
  const from = Buffer.from(hb.patientId, 'latin1');
  const to = Buffer.from(ha.patientId, 'latin1');
  let at = bytes.indexOf(from);
  while (at >= 0) {
    to.copy(bytes, at);
    at = bytes.indexOf(from, at + to.length);
  }
  writeFileSync(b, bytes);
  return { dir, sharedPatientFilms: [ha.imageId, hb.imageId], images: files.length };
}
