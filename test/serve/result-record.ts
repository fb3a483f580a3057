// A stored result, as the store tests insert them: an assessed negative with no mask, at the default
// thresholds, gated with no learned gate; each test overrides what it is about.
import type { ResultRecord } from '../../src/serve/store/store.js';

export function resultRecord(uid: string, overrides: Partial<ResultRecord> = {}): ResultRecord {
  return {
    uid,
    status: 'assessed',
    gate: { reasons: [], oodScore: null, threshold: null, notes: [], enabled: true },
    probability: 0.2,
    probabilityUncalibrated: 0.2,
    calibrated: false,
    size: null,
    decision: false,
    segmented: false,
    thresholds: { classifier: 0.5, pixel: 0.5, minArea: 0 },
    rle: '-1',
    areaPixels: 0,
    areaCm2: null,
    bbox: null,
    maskFile: null,
    overlayFile: 'o.png',
    bundleId: 'b',
    bundleVersion: '1',
    timingsMs: {},
    finishedAt: 10,
    ...overrides,
  };
}
