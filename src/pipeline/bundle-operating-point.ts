// Which of a bundle's thresholds a use runs at. A triage tool exists to catch the untreated patient,
// so serve, predict, the worklist flag, the SR and the overlay run at the `triage` point unless told
// otherwise; `siim` is for a Kaggle submission. A bundle whose points were never chosen on validation
// (made before they existed) has only `thresholds`, which then serve for either name, said once.
import {
  OPERATING_POINT_NAMES,
  type BundleManifest,
  type BundleThresholds,
  type OperatingPointName,
} from './bundle-manifest.js';

export const DEFAULT_OPERATING_POINT: OperatingPointName = 'triage';

export interface ResolvedOperatingPoint {
  /** The name asked for. */
  name: OperatingPointName;
  thresholds: BundleThresholds;
  /** False when the bundle has no named points and its `thresholds` stand in. */
  named: boolean;
  /** The rule that chose it, in words (thresholdSource.rule for a stand-in). */
  rule: string;
}

export function isOperatingPointName(value: string): value is OperatingPointName {
  return (OPERATING_POINT_NAMES as readonly string[]).includes(value);
}

let fallbackNoticeGiven = false;

export function resolveOperatingPoint(
  manifest: Pick<BundleManifest, 'thresholds' | 'thresholdSource' | 'operatingPoints'>,
  name: OperatingPointName = DEFAULT_OPERATING_POINT,
  notice: (text: string) => void = console.warn,
): ResolvedOperatingPoint {
  const point = manifest.operatingPoints?.[name];
  if (point) {
    const { classifier, pixel, minArea } = point;
    return { name, thresholds: { classifier, pixel, minArea }, named: true, rule: point.source.rule };
  }
  if (name !== 'siim' && !fallbackNoticeGiven) {
    fallbackNoticeGiven = true;
    notice(
      `pneumo: note: the bundle has no named operating points (made before they were chosen on validation); its thresholds serve as the ${name} point. \`pneumo bundle --validate-on DATA\` or \`pneumo evaluate --write-bundle\` chooses them.`,
    );
  }
  return { name, thresholds: { ...manifest.thresholds }, named: false, rule: manifest.thresholdSource.rule };
}
