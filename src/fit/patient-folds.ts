// The folds of a cross-validation: each image's PatientID read from its DICOM header, then K folds
// stratified by label and grouped by patient (src/data/split.ts), so that no patient's films sit on
// both sides of a fold. An image without a PatientID is its own patient.
import { readDicomHeader } from '../data/dicom/index.js';
import type { DatasetItem } from '../data/dataset.js';
import { groupedStratifiedFolds } from '../data/split.js';
import type { FitFoldSummary } from '../report/fit-summary.js';

export interface FoldAssignment {
  /** Each image's fold (0-based). */
  foldOf: Record<string, number>;
  folds: FitFoldSummary[];
  imagesWithoutPatientId: number;
  /** Images whose header could not be read (also their own patient), each with the reason. */
  unreadable: string[];
}

/** PatientID of each item, read a few files at a time; null where absent or unreadable. */
async function patientIds(items: readonly DatasetItem[], unreadable: string[]): Promise<(string | null)[]> {
  const ids: (string | null)[] = new Array<string | null>(items.length).fill(null);
  const parallel = 8;
  let next = 0;
  await Promise.all(
    Array.from({ length: parallel }, async () => {
      while (next < items.length) {
        const k = next++;
        try {
          ids[k] = (await readDicomHeader(items[k].path)).patientId;
        } catch (err) {
          unreadable.push(`${items[k].path}: ${(err as Error).message}`);
        }
      }
    }),
  );
  return ids;
}

export async function assignFolds(items: readonly DatasetItem[], folds: number, seed: number): Promise<FoldAssignment> {
  const unreadable: string[] = [];
  const ids = await patientIds(items, unreadable);
  // The image's own id keeps an image without a PatientID apart from every patient.
  const grouped = items.map((item, k) => ({
    imageId: item.imageId,
    label: item.label,
    group: ids[k] !== null ? `patient:${ids[k]}` : `image:${item.imageId}`,
  }));
  const foldOf = groupedStratifiedFolds(grouped, folds, seed);
  const summaries: FitFoldSummary[] = Array.from({ length: folds }, (_, fold) => {
    const members = grouped.filter((g) => foldOf.get(g.imageId) === fold);
    return {
      fold,
      validationImages: members.length,
      validationPositives: members.filter((g) => g.label === 1).length,
      patients: new Set(members.map((g) => g.group)).size,
    };
  });
  return {
    foldOf: Object.fromEntries(foldOf),
    folds: summaries,
    imagesWithoutPatientId: ids.filter((id) => id === null).length,
    unreadable,
  };
}
