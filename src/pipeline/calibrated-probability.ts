// The probability a reader is shown. With a calibration in the bundle (bundle.json `calibration`:
// temperature scaling fitted on the validation split) it is the calibrated one, and says so; the
// model's own probability travels beside it, because the thresholds were chosen on that one and every
// decision (positive or not, segmented or not) is still taken on it.
import { applyTemperature } from '../metrics/calibration.js';
import type { BundleManifest } from './bundle-manifest.js';

export interface DisplayedProbability {
  /** Calibrated when `calibrated`, else the model's own. */
  probability: number;
  probabilityUncalibrated: number;
  calibrated: boolean;
}

export function displayedProbability(
  modelProbability: number,
  manifest: Pick<BundleManifest, 'calibration'>,
): DisplayedProbability {
  const c = manifest.calibration;
  return {
    probability: c ? applyTemperature(modelProbability, c.temperature) : modelProbability,
    probabilityUncalibrated: modelProbability,
    calibrated: c !== undefined,
  };
}
