import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  chooseOperatingPoint,
  chooseTriagePoint,
  DEFAULT_TRIAGE_RECALL,
  pipelinePoint,
} from '../../src/evaluate/operating-point.js';
import type { TripletImage } from '../../src/evaluate/triplet-search.js';
import { sweepThresholds } from '../../src/evaluate/threshold-sweep.js';
import { RECORDS } from './pipeline-records.js';

const rows = sweepThresholds(RECORDS);

test('default objective: the best pipeline SIIM score, ties to the higher threshold', () => {
  // 3.8/6 at every threshold in 0.75..0.9 (only a is segmented); 0.9 is the highest of them.
  const point = chooseOperatingPoint(rows);
  assert.equal(point.threshold, 0.9);
  assert.ok(Math.abs(point.row.siimScore! - 3.8 / 6) < 1e-12);
  assert.match(point.description, /maximise the SIIM score/);
  assert.equal(point.constraintMet, true);
});

test('recall floor: the best SIIM score among thresholds whose recall reaches the floor', () => {
  const full = chooseOperatingPoint(rows, { kind: 'min-recall', floor: 0.9 });
  assert.equal(full.threshold, 0.2); // recall 1 needs t <= 0.2; 0.15 and 0.2 tie at 3.4/6
  assert.equal(full.row.recall, 1);
  assert.match(full.description, /recall >= 0.9/);
  // Recall 2/3 allows t <= 0.6; 0.2 (3.4/6) still beats 0.25..0.6 (3.3/6).
  const twoThirds = chooseOperatingPoint(rows, { kind: 'min-recall', floor: 0.6 });
  assert.equal(twoThirds.threshold, 0.2);
  const third = chooseOperatingPoint(rows, { kind: 'min-recall', floor: 0.3 });
  assert.equal(third.threshold, 0.9);
});

test('an unreachable floor is reported as not met', () => {
  const onlyNegatives = sweepThresholds(RECORDS.filter((r) => r.label === 0));
  const point = chooseOperatingPoint(onlyNegatives, { kind: 'min-recall', floor: 0.9 });
  assert.equal(point.constraintMet, false);
  assert.match(point.description, /not met/);
  assert.throws(() => chooseOperatingPoint([]), /empty/);
});

// Hand-made validation maps of 4x4 pixels: one map pixel is 65536 pixels at 1024x1024 scale. A
// positive's truth covers its mask; a negative's truth is empty.
const PX = 65536;
function image(id: string, label: 0 | 1, probability: number, maskPixels: number, value = 0.9): TripletImage {
  const map = new Float32Array(16);
  const truth = new Uint8Array(16);
  for (let i = 0; i < maskPixels; i++) map[i] = value;
  if (label === 1) for (let i = 0; i < Math.max(1, maskPixels); i++) truth[i] = 1;
  return { imageId: id, probability, map, truth, width: 4, height: 4, label };
}
// p, surviving mask at pixel 0.5: P1 .9 yes, P2 .7 yes, P3 .4 yes (1 px), P4 .2 yes (3 px at 0.6),
// P5 .8 only faint (0.1 everywhere); negatives N1 .85 none, N2 .6 yes, N5 .5 yes, N3 .3 yes (1 px), N4 .1 none.
const faint = (() => {
  const i = image('P5', 1, 0.8, 0);
  i.map.fill(0.1);
  i.truth.fill(0);
  i.truth[0] = 1;
  return i;
})();
const VALIDATION: TripletImage[] = [
  image('P1', 1, 0.9, 4),
  image('P2', 1, 0.7, 2),
  image('P3', 1, 0.4, 1),
  image('P4', 1, 0.2, 3, 0.6),
  faint,
  image('N1', 0, 0.85, 0),
  image('N2', 0, 0.6, 2),
  image('N5', 0, 0.5, 3),
  image('N3', 0, 0.3, 1),
  image('N4', 0, 0.1, 0),
];
const PIXEL_HALF = { pixelThresholds: [0.5], minAreas: [0] };

test('triage: the highest pipeline specificity whose recall reaches the floor (known answer)', () => {
  // Walking down from 0.9 at pixel 0.5: P1, P2, N2, N5, P3 -> recall 3/5 first at t = 0.4, two
  // false positives -> specificity 3/5.
  const triage = chooseTriagePoint(VALIDATION, { floor: 0.6, grid: PIXEL_HALF });
  assert.equal(triage.floorMet, true);
  assert.deepEqual(
    [triage.point.classifierThreshold, triage.point.pixelThreshold, triage.point.minArea],
    [0.4, 0.5, 0],
  );
  assert.equal(triage.point.recall, 0.6);
  assert.equal(triage.point.specificity, 0.6);
  assert.match(triage.description, /highest pipeline specificity whose recall is at least 0.6/);
  // The same figures as the pipeline at that triplet, counted directly.
  const direct = pipelinePoint(VALIDATION, triage.point);
  assert.deepEqual([direct.recall, direct.specificity, direct.siimScore], [0.6, 0.6, triage.point.siimScore]);
  // A lower pixel threshold keeps P5's faint mask: recall 3/5 is then reached at t = 0.7 with no
  // false positive, which beats every triplet at pixel 0.5.
  const wider = chooseTriagePoint(VALIDATION, { floor: 0.6, grid: { pixelThresholds: [0.05, 0.5], minAreas: [0] } });
  assert.deepEqual(
    [wider.point.classifierThreshold, wider.point.pixelThreshold, wider.point.specificity],
    [0.7, 0.05, 1],
  );
});

test('triage ties: equal specificity, recall and SIIM score go to the higher classifier threshold, then the larger minimum area', () => {
  // Every surviving mask has at least one map pixel: minimum areas 0 and 1 px decide alike.
  const tie = chooseTriagePoint(VALIDATION, { floor: 0.6, grid: { pixelThresholds: [0.5], minAreas: [0, PX] } });
  assert.equal(tie.point.minArea, PX);
  assert.equal(tie.point.classifierThreshold, 0.4);
  // 2 px drops P3 and N3: recall 3/5 then needs P4 at t = 0.2 with the same two false positives
  // (specificity 3/5, as at 0 px and t = 0.4), and the SIIM score ties too (6/10 each): the higher
  // classifier threshold wins.
  const byThreshold = chooseTriagePoint(VALIDATION, {
    floor: 0.6,
    grid: { pixelThresholds: [0.5], minAreas: [0, 2 * PX] },
  });
  const atTwo = pipelinePoint(VALIDATION, { classifierThreshold: 0.2, pixelThreshold: 0.5, minArea: 2 * PX });
  assert.deepEqual([atTwo.recall, atTwo.specificity, atTwo.siimScore], [0.6, 0.6, 0.6]);
  assert.deepEqual([byThreshold.point.classifierThreshold, byThreshold.point.minArea], [0.4, 0]);
  assert.equal(byThreshold.point.siimScore, 0.6);
});

test('triage: an unreachable recall floor is said, and the point is the highest recall at its best specificity', () => {
  // At pixel 0.5 P5 never has a mask: recall stops at 4/5, reached at t = 0.2 (specificity 2/5).
  const triage = chooseTriagePoint(VALIDATION, { floor: 0.9, grid: PIXEL_HALF });
  assert.equal(triage.floorMet, false);
  assert.equal(triage.point.recall, 0.8);
  assert.equal(triage.point.classifierThreshold, 0.2);
  assert.equal(triage.point.specificity, 0.4);
  assert.match(triage.description, /not met: the highest recall on validation is 0\.800/);
  // The default floor is 0.9, and the default grid reaches P5's faint mask: recall 1 is then met.
  const met = chooseTriagePoint(VALIDATION);
  assert.equal(met.floor, DEFAULT_TRIAGE_RECALL);
  assert.equal(met.floorMet, true);
  assert.equal(met.point.recall, 1);
  assert.throws(() => chooseTriagePoint(VALIDATION.filter((i) => i.label === 0)), /no positive image/);
  assert.throws(() => chooseTriagePoint(VALIDATION, { floor: 1.5 }), /recall floor/);
});
