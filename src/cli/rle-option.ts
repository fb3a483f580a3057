// --rle, shared by every command that reads a label file (train, eda, evaluate, score): how the file's
// run starts count. SIIM's own files are relative; other Kaggle label files use absolute starts. No
// default value here, so that `train` leaves a config file's `rle` alone when the flag is not given.
import { Option } from 'commander';
import { RLE_OPTIONS, type RleOption } from '../data/labels.js';

export type { RleOption };

export const rleOption = (): Option =>
  new Option(
    '--rle <reading>',
    "how the label file's run starts count: relative (SIIM's files: each start a gap from the previous run's end; the default), absolute (Kaggle's standard RLE: 1-based pixel numbers), or auto (the reading under which no row runs past the image; an error names a row when both or neither fit)",
  ).choices(RLE_OPTIONS);
