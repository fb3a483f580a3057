// --operating-point, shared by predict and serve: which of the bundle's named thresholds decide. The
// names are repeated here (pipeline/bundle-manifest.ts's OPERATING_POINT_NAMES) so that --help loads
// nothing more.
import { Option } from 'commander';
import type { OperatingPointName } from '../pipeline/bundle-manifest.js';

const NAMES: readonly OperatingPointName[] = ['triage', 'siim'];

export const operatingPointOption = (): Option =>
  new Option(
    '--operating-point <name>',
    "the bundle's thresholds to decide at: triage (the highest specificity whose validation recall reaches the floor: " +
      'the worklist flag) or siim (the best SIIM score on validation: for a Kaggle submission)',
  )
    .choices(NAMES)
    .default('triage');
