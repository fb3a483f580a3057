// The SR says when its probability and threshold are on the bundle's calibrated scale and which
// operating point decided, and is otherwise unchanged.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { newInstance } from '../../src/interop/common-modules.js';
import { buildStructuredReport, type SrFinding } from '../../src/interop/structured-report.js';

const texts = (node: unknown): string[] => {
  if (Array.isArray(node)) return node.flatMap(texts);
  if (typeof node !== 'object' || node === null) return [];
  const o = node as Record<string, unknown>;
  return [...(typeof o.TextValue === 'string' ? [o.TextValue] : []), ...Object.values(o).flatMap(texts)];
};

const report = (finding: SrFinding) =>
  buildStructuredReport({
    source: {
      file: 'x.dcm',
      sopClassUid: '1.2.840.10008.5.1.4.1.1.1',
      sopInstanceUid: '1.2.3.4',
      studyInstanceUid: '1.2.3',
      seriesInstanceUid: '1.2.3.5',
      rows: 8,
      columns: 8,
      pixelSpacing: null,
      patientAndStudy: {},
      frameOfReferenceUid: null,
    },
    finding,
    segmentation: null,
    algorithm: { name: 'pneumo', version: '0' },
    observerUid: '1.2.3.6',
    instance: newInstance(9003, 'report'),
    created: new Date(0),
  });

test('a calibrated probability is reported as such', () => {
  const finding = { present: true, probability: 0.67, threshold: 0.5, areaPixels: 10 };
  const calibrated = texts(report({ ...finding, calibrated: true }));
  assert.ok(
    calibrated.some((t) => /probability and threshold are calibrated/.test(t)),
    calibrated.join(' | '),
  );
  const plain = texts(report(finding));
  assert.ok(!plain.some((t) => /calibrated/.test(t)));
  assert.equal(calibrated.length, plain.length + 1);
});

test('the operating point the decision was taken at is reported, with its rule', () => {
  const finding = { present: true, probability: 0.67, threshold: 0.5, areaPixels: 10 };
  const triage = texts(report({ ...finding, operatingPoint: 'triage' }));
  assert.ok(
    triage.some((t) => /^triage: the highest specificity whose recall on validation reaches the floor$/.test(t)),
    triage.join(' | '),
  );
  const siim = texts(report({ ...finding, operatingPoint: 'siim' }));
  assert.ok(siim.some((t) => /^siim: the thresholds with the best SIIM score/.test(t)));
  assert.equal(triage.length, texts(report(finding)).length + 1);
});
