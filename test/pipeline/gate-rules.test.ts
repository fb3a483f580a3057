// The input gate's header rules on real headers (pydicom's CT, MR and colour files, the SIIM sample
// films) and on one header changed a rule at a time; the settings parser; the reasons in words.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { readDicomHeader, type DicomMeta } from '../../src/data/dicom/index.js';
import {
  applyGateRuleSettings,
  checkHeader,
  DEFAULT_GATE_RULES,
  gateReasonText,
  GateRuleError,
  notAssessedText,
} from '../../src/pipeline/gate-rules.js';
import { fixture, SIIM_SAMPLE } from '../fixture-path.js';

const header = (...parts: string[]) => readDicomHeader(fixture(...parts));

test('CT, MR and colour DICOMs are refused by name; the reasons carry the value that tripped them', async () => {
  const ct = checkHeader(await header('dicom', 'pydicom', 'CT_small.dcm'));
  assert.ok(ct.reasons.includes('modality:CT'), ct.reasons.join());
  assert.ok(ct.reasons.includes('film-size:128x128px'), ct.reasons.join());
  const mr = checkHeader(await header('dicom', 'pydicom', 'MR_small.dcm'));
  assert.ok(mr.reasons.includes('modality:MR'), mr.reasons.join());
  assert.ok(mr.reasons.includes('film-size:64x64px'));
  const colour = checkHeader(await header('dicom', 'pydicom', 'SC_rgb_small_odd.dcm'));
  assert.ok(colour.reasons.includes('colour:RGB'), colour.reasons.join());
  assert.equal(gateReasonText('modality:CT'), 'CT, not a radiograph');
  assert.equal(gateReasonText('colour:RGB'), 'colour image (RGB)');
});

test('the SIIM sample films pass, except the two children (aged 10 and 16) under the age rule', async () => {
  const files = readdirSync(SIIM_SAMPLE).filter((f) => f.endsWith('.dcm'));
  assert.equal(files.length, 10);
  const refused: Record<string, string[]> = {};
  for (const file of files) {
    const verdict = checkHeader(await readDicomHeader(path.join(SIIM_SAMPLE, file)));
    if (verdict.reasons.length > 0) refused[file.split('.').slice(-4, -2).join('.')] = verdict.reasons;
  }
  assert.deepEqual(refused, {
    '10000.1517875220': ['age:10'],
    '1314.1517875167': ['age:16'],
  });
  // With the age rule off, every one of them is assessed.
  const off = applyGateRuleSettings(['minAgeYears=off']);
  for (const file of files)
    assert.deepEqual(checkHeader(await readDicomHeader(path.join(SIIM_SAMPLE, file)), off).reasons, []);
});

test('each rule on its own: one header changed at a time', async () => {
  const base = await readDicomHeader(
    path.join(SIIM_SAMPLE, '1.2.276.0.7230010.3.1.4.8323329.1000.1517875165.878027.dcm'),
  );
  assert.deepEqual(checkHeader(base), { reasons: [], notes: [] });
  const reasons = (change: Partial<DicomMeta>) => checkHeader({ ...base, ...change }).reasons;
  assert.deepEqual(reasons({ viewPosition: 'LL' }), ['lateral-view:LL']);
  assert.deepEqual(reasons({ viewPosition: 'LATERAL' }), ['lateral-view:LATERAL']);
  assert.deepEqual(reasons({ viewPosition: 'AP' }), []);
  assert.deepEqual(reasons({ viewPosition: 'OBL' }), ['view:OBL']);
  assert.deepEqual(reasons({ modality: 'DX' }), []);
  assert.deepEqual(reasons({ modality: 'DX', presentationIntentType: 'FOR PROCESSING' }), ['dx-for-processing']);
  assert.deepEqual(reasons({ modality: null }), ['modality:none']);
  assert.deepEqual(reasons({ bodyPartExamined: 'SKULL' }), ['body-part:SKULL']);
  assert.deepEqual(reasons({ bodyPartExamined: null }), [], 'an absent body part passes');
  assert.deepEqual(reasons({ patientAge: 17.5 }), ['age:17.5']);
  assert.deepEqual(reasons({ numberOfFrames: 3 }), ['frames:3']);
  assert.deepEqual(reasons({ photometricInterpretation: 'YBR_FULL' }), ['colour:YBR_FULL']);
  assert.deepEqual(reasons({ samplesPerPixel: 3, photometricInterpretation: 'RGB' }), ['colour:RGB']);
  assert.deepEqual(reasons({ photometricInterpretation: 'ARGB' }), ['photometric:ARGB']);
  assert.deepEqual(reasons({ pixelSpacing: [2, 2] }), ['pixel-spacing:2x2mm']);
  assert.deepEqual(reasons({ pixelSpacing: [0.6, 0.6] }), ['film-size:614x614mm']);
  assert.deepEqual(reasons({ rows: 200 }), ['film-size:1024x200px']);
  // Missing age and view pass, each with a note; so does a missing spacing.
  const lax = checkHeader({ ...base, patientAge: null, viewPosition: null, pixelSpacing: null });
  assert.deepEqual(lax.reasons, []);
  assert.equal(lax.notes.length, 3);
  // No header at all (PNG/JPEG): nothing to refuse, and a note that says why.
  assert.deepEqual(checkHeader(null).reasons, []);
  assert.match(checkHeader(null).notes[0], /only the learned gate/);
});

test('settings: KEY=VALUE over the defaults; a bad key or value is one line naming it', () => {
  const rules = applyGateRuleSettings([
    'minAgeYears=16',
    'views=pa, ap ,ll',
    'pixelSpacingMm=0.1-0.5',
    'oodThreshold=12.5',
    'dxForPresentationOnly=false',
  ]);
  assert.equal(rules.minAgeYears, 16);
  assert.deepEqual(rules.views, ['PA', 'AP', 'LL']);
  assert.deepEqual(rules.pixelSpacingMm, [0.1, 0.5]);
  assert.equal(rules.oodThreshold, 12.5);
  assert.equal(rules.dxForPresentationOnly, false);
  assert.deepEqual(DEFAULT_GATE_RULES.views, ['PA', 'AP'], 'the defaults are untouched');
  assert.equal(applyGateRuleSettings(['oodThreshold=bundle']).oodThreshold, null);
  assert.throws(() => applyGateRuleSettings(['minAge=16']), GateRuleError);
  assert.throws(() => applyGateRuleSettings(['minAgeYears=young']), /minAgeYears expects a number/);
  assert.throws(() => applyGateRuleSettings(['filmSideMm=550-100']), /MIN-MAX/);
  assert.throws(() => applyGateRuleSettings(['maxFrames=1.5']), /whole number/);
});

test('the reasons in words, as the reading room and the SR show them', () => {
  assert.equal(notAssessedText(['lateral-view:LL']), 'not assessed: lateral view');
  assert.equal(
    notAssessedText(['age:10', 'out-of-distribution']),
    'not assessed: patient aged 10 (under 18); unlike the images the model was trained on',
  );
  assert.equal(gateReasonText('age:16', { minAgeYears: 18 }), 'patient aged 16 (under 18)');
  assert.equal(gateReasonText('film-size:64x64px'), 'implausible film size for a chest film (64x64px)');
});
