import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { decodeRle } from '../../src/data/rle.js';
import { makeBundle, readBundleManifest } from '../../src/pipeline/bundle.js';
import { predictFiles, type PredictionRecord } from '../../src/pipeline/predict-files.js';
import { dicomOutputWriter, type DicomOutputFiles } from '../../src/interop/dicom-outputs.js';
import { SIIM_SAMPLE, SIIM_SAMPLE_ID_PREFIX } from '../fixture-path.js';
import { tinyModelFactory, writeTinyRun } from '../pipeline/tiny-models.js';
import { dciodvfyErrors, dcmdump, dsr2xml, maskRuns, pydicomView, type PydicomView } from './dicom-tools.js';

const root = mkdtempSync(path.join(tmpdir(), 'pneumo-dicom-objects-'));
test.after(() => rmSync(root, { recursive: true, force: true }));
const IDS = ['1000.1517875165.878027', '10001.1517875220.930580'].map((s) => `${SIIM_SAMPLE_ID_PREFIX}${s}`);
const SPACING = 0.168;

/** A tiny analytic bundle: every SIIM film is positive, the mask is where the displayed image exceeds 0.5. */
async function tinyBundle(dir: string): Promise<string> {
  await writeTinyRun(path.join(dir, 'c'), { role: 'classifier', inputSize: 32, analytic: { gain: 50, bias: -8 } });
  await writeTinyRun(path.join(dir, 's'), { role: 'segmenter', inputSize: 64, analytic: {} });
  const bundle = path.join(dir, 'bundle');
  await makeBundle({ classifierRun: path.join(dir, 'c'), segmenterRun: path.join(dir, 's'), out: bundle });
  return bundle;
}

function records(file: string): PredictionRecord[] {
  return readFileSync(file, 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as PredictionRecord);
}

const srValue = (view: PydicomView, concept: string) => view.sr!.items.find((i) => i.concept === concept)?.value;

test('SEG, SC and SR of SIIM films: dciodvfy finds no error, DCMTK and pydicom read them, the SEG frame is the predicted mask', async () => {
  const bundle = await tinyBundle(root);
  const inputs = path.join(root, 'in');
  mkdirSync(inputs);
  for (const id of IDS) copyFileSync(path.join(SIIM_SAMPLE, `${id}.dcm`), path.join(inputs, `${id}.dcm`));
  const out = path.join(root, 'out');
  const dicomOut = path.join(root, 'dicom');
  const summary = await predictFiles({
    inputs: [inputs],
    bundle,
    out,
    threads: 1,
    modelFactory: tinyModelFactory,
    derivedOutputs: dicomOutputWriter({ dir: dicomOut, manifest: await readBundleManifest(bundle) }),
  });
  assert.deepEqual(summary.failures, []);
  assert.equal(summary.positives, 2);
  assert.equal(readdirSync(dicomOut).length, 6);

  for (const record of records(summary.predictionsFile)) {
    const files = (record.derived as { dicom: DicomOutputFiles }).dicom;
    assert.deepEqual(files, { seg: `${record.id}.seg.dcm`, sc: `${record.id}.sc.dcm`, sr: `${record.id}.sr.dcm` });
    const paths = [files.seg!, files.sc!, files.sr!].map((f) => path.join(dicomOut, f));
    for (const file of paths) {
      assert.deepEqual(dciodvfyErrors(file), [], `dciodvfy on ${path.basename(file)}`);
      dcmdump(file);
    }
    const xml = dsr2xml(paths[2]);
    assert.match(xml, /<meaning>Pneumothorax<\/meaning>/);
    assert.match(xml, /Imaging Measurement Report/);

    const [seg, sc, sr] = pydicomView(paths);
    const sourceStudy = dcmdump(path.join(inputs, `${record.id}.dcm`)).match(/\(0020,000d\) UI \[([^\]]+)\]/)![1];
    for (const view of [seg, sc, sr]) {
      assert.equal(view.study, sourceStudy, `${view.modality} is in the source's study`);
      assert.match(view.patientAge, /^\d{3}Y$/, 'SIIM ages ("38") are repaired to AS values');
    }
    assert.equal(new Set([seg.series, sc.series, sr.series]).size, 3, 'each object has its own new series');
    assert.deepEqual(
      [seg.modality, sc.modality, sr.modality, seg.sopClass, sc.sopClass, sr.sopClass],
      ['SEG', 'OT', 'SR', '1.2.840.10008.5.1.4.1.1.66.4', '1.2.840.10008.5.1.4.1.1.7', '1.2.840.10008.5.1.4.1.1.88.33'],
    );

    // The SEG frame, unpacked by pydicom, is exactly the predicted mask (the RLE of predictions.jsonl).
    const mask = decodeRle(record.rle, record.width, record.height);
    assert.ok(record.area.pixels > 1000, 'a real mask');
    assert.deepEqual(seg.seg!.shape, [record.height, record.width]);
    assert.deepEqual(seg.seg!.runs, maskRuns(mask.data));
    assert.equal(seg.seg!.segmentLabel, 'Pneumothorax');
    assert.equal(seg.seg!.propertyType, '36118008');
    assert.equal(seg.seg!.algorithmType, 'AUTOMATIC');
    assert.equal(seg.seg!.source, record.id);
    assert.deepEqual(seg.seg!.pixelSpacing, [SPACING, SPACING]);

    // The SC holds the overlay PNG's pixels, byte for byte: the film with the title band above it.
    const { data: overlay, info } = await sharp(path.join(out, record.overlay!))
      .raw()
      .toBuffer({ resolveWithObject: true });
    assert.ok(info.height > record.height + 40, 'a title band is added above the film');
    assert.deepEqual(sc.sc!.shape, [info.height, record.width, 3]);
    assert.equal(sc.sc!.burnedIn, 'YES');
    assert.equal(sc.sc!.sha256, createHash('sha256').update(overlay).digest('hex'));

    // The SR states the finding and references the source image and the SEG's segment.
    assert.equal(sr.sr!.root, 'Imaging Measurement Report');
    assert.equal(srValue(sr, 'Finding'), 'Pneumothorax');
    assert.equal(srValue(sr, 'Pneumothorax'), 'Present');
    const [probability, unit] = srValue(sr, 'Probability of finding') as [number, string];
    assert.ok(Math.abs(probability - record.probability!) < 1e-8);
    assert.equal(unit, '1');
    assert.deepEqual(srValue(sr, 'Decision threshold'), [record.threshold, '1']);
    const [area, areaUnit] = srValue(sr, 'Area') as [number, string];
    assert.equal(areaUnit, 'mm2');
    assert.ok(Math.abs(area - record.area.pixels * SPACING * SPACING) < 1e-6 * area);
    assert.deepEqual(srValue(sr, 'Referenced Segment'), [seg.sopInstance, 1]);
    // The size as clinicians grade it, in mm, as predictions.jsonl has it.
    assert.ok(record.size, 'a positive with pixel spacing is measured');
    const [apex, apexUnit] = srValue(sr, 'Apex-to-cupola distance') as [number, string];
    assert.equal(apexUnit, 'mm');
    assert.ok(Math.abs(apex - record.size.apexToCupolaMm) < 1e-6);
    assert.deepEqual(srValue(sr, 'Interpleural distance at the level of the hilum'), [
      Number(record.size.interpleuralMm.toPrecision(10)),
      'mm',
    ]);
    assert.equal(srValue(sr, 'Size'), record.size.large ? 'Large' : 'Small');
    assert.deepEqual(srValue(sr, 'Source of Measurement'), [record.id, 0]);
  }
});
