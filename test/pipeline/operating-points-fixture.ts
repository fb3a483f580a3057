// A bundle's named points for tests: a siim point and a triage point that differ, so a test can tell
// which one a use decided at.
import type {
  BundleOperatingPoint,
  BundleOperatingPoints,
  BundleThresholds,
} from '../../src/pipeline/bundle-manifest.js';
import { updateBundleOperatingPoints } from '../../src/pipeline/bundle.js';

export function operatingPoint(
  thresholds: BundleThresholds,
  rule: string,
  recallFloor: number | null = null,
): BundleOperatingPoint {
  return {
    ...thresholds,
    source: { rule, split: 'test fixture', images: 10, at: '2026-01-01T00:00:00.000Z', siimScore: 0.8 },
    recall: 0.9,
    specificity: 0.7,
    recallFloor,
    floorMet: recallFloor === null ? null : true,
  };
}

/** Writes siim and triage points into the bundle (its thresholds become the siim point's). */
export async function writeOperatingPoints(
  bundle: string,
  siim: BundleThresholds,
  triage: BundleThresholds,
): Promise<BundleOperatingPoints> {
  const points = {
    siim: operatingPoint(siim, 'fixture: best SIIM score'),
    triage: operatingPoint(triage, 'fixture: recall floor', 0.9),
  };
  await updateBundleOperatingPoints(bundle, points);
  return points;
}
