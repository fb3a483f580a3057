// A hand-made validation set shared by the evaluation tests. Ranked by probability:
//   a .9 P (Dice if segmented .8), b .7 N (segmenter draws a mask: 0), c .6 P (.5),
//   d .3 N (segmenter empty: 1), e .2 P (.1), f .1 N (0). The segmenter finds a mask on all but d.
import type { PipelineRecord } from '../../src/evaluate/threshold-sweep.js';

export const RECORDS: PipelineRecord[] = [
  { imageId: 'a', probability: 0.9, label: 1, segmentedDice: 0.8, maskFound: true },
  { imageId: 'b', probability: 0.7, label: 0, segmentedDice: 0, maskFound: true },
  { imageId: 'c', probability: 0.6, label: 1, segmentedDice: 0.5, maskFound: true },
  { imageId: 'd', probability: 0.3, label: 0, segmentedDice: 1, maskFound: false },
  { imageId: 'e', probability: 0.2, label: 1, segmentedDice: 0.1, maskFound: true },
  { imageId: 'f', probability: 0.1, label: 0, segmentedDice: 0, maskFound: true },
];
