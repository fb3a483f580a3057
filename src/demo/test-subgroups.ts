// The demo's test images grouped by what the generator put in them (test-data/synth.json): with and
// without a chest drain (the shortcut test), and by mask-size band (SIIM's quartile edges: below 0.4%,
// 0.4-1.8%, above 1.8% of the image). Size bands hold the band's positives and every negative, so
// each band's ROC AUC asks how well the classifier tells that size of pneumothorax from no finding.
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { SUMMARY_FILE, type SynthSummary } from '../data/synth/dataset-writer.js';
import { SIIM_SIZE_BANDS, sizeBand } from '../data/synth/siim-reference.js';
import { subgroupFigures, type SubgroupFigures } from '../evaluate/subgroups.js';
import type { PipelineRecord } from '../evaluate/threshold-sweep.js';
import type { BundleThresholds } from '../pipeline/bundle-manifest.js';

/** The records the generator's summary knows, and for each whether it has a drain and its size band. */
export function synthGroups<R extends { imageId: string }>(
  summary: SynthSummary,
  records: readonly R[],
): { known: R[]; drain: (r: R) => boolean; band: (r: R) => number } {
  const side = summary.parameters.size;
  const byId = new Map(summary.images.map((image) => [image.imageId, image]));
  return {
    known: records.filter((r) => byId.has(r.imageId)),
    drain: (r) => byId.get(r.imageId)!.chestDrain !== null,
    band: (r) => sizeBand(byId.get(r.imageId)!.maskPixels / (side * side)),
  };
}

export async function testSubgroups(
  testDir: string,
  records: readonly PipelineRecord[],
  thresholds: BundleThresholds,
): Promise<{ tubes: SubgroupFigures[]; sizeBands: SubgroupFigures[] }> {
  const summary = JSON.parse(await readFile(path.join(testDir, SUMMARY_FILE), 'utf8')) as SynthSummary;
  const { known, drain, band } = synthGroups(summary, records);
  return {
    tubes: [
      subgroupFigures('with a chest drain', known.filter(drain), thresholds),
      subgroupFigures(
        'without a chest drain',
        known.filter((r) => !drain(r)),
        thresholds,
      ),
    ],
    sizeBands: SIIM_SIZE_BANDS.map((b, i) =>
      subgroupFigures(
        b.name,
        known.filter((r) => r.label === 0 || band(r) === i),
        thresholds,
      ),
    ),
  };
}
