// --tta, shared by evaluate, predict and serve: test-time augmentation by name. The value is required:
// an optional one would swallow the film that follows (`predict --tta film.dcm`). The names are
// repeated here (pipeline/tta.ts's TTA_NAMES) so that --help loads no pipeline module.
import { Option } from 'commander';
import type { TtaName } from '../pipeline/tta.js';

export type { TtaName };

const NAMES: readonly TtaName[] = ['none', 'hflip'];

export const ttaOption = (): Option =>
  new Option(
    '--tta <kind>',
    'test-time augmentation: hflip averages each model over the image and its horizontal mirror (the mirrored mask flipped back; about twice the compute), or none',
  )
    .choices(NAMES)
    .default('none');
