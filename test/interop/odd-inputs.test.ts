import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { decodeRle } from '../../src/data/rle.js';
import { writeGrayPng } from '../../src/data/image-io.js';
import { makeBundle, readBundleManifest } from '../../src/pipeline/bundle.js';
import { predictFiles, type PredictionRecord } from '../../src/pipeline/predict-files.js';
import { dicomOutputWriter, type DicomOutputFiles } from '../../src/interop/dicom-outputs.js';
import type { EmptySegmentation } from '../../src/interop/result-objects.js';
import { repairAge } from '../../src/interop/source-image.js';
import { syntheticDicom } from '../data/dicom/synthetic.js';
import { tinyModelFactory, writeTinyRun } from '../pipeline/tiny-models.js';
import { squareImage } from '../pipeline/synthetic-images.js';
import { dciodvfyErrors, dcmdump, dsr2xml, maskRuns, pydicomView } from './dicom-tools.js';
import { DEFAULT_GATE_RULES } from '../../src/pipeline/gate-rules.js';

const root = mkdtempSync(path.join(tmpdir(), 'pneumo-odd-dicom-'));
test.after(() => rmSync(root, { recursive: true, force: true }));
const STUDY = '1.2.826.0.1.3680043.8.498.10';
const SERIES = '1.2.826.0.1.3680043.8.498.11';

/** A bright square on a dark background in `bits`-bit stored values; MONOCHROME1 stores it inverted. */
function squareValues(columns: number, rows: number, bits: number, monochrome1: boolean): number[] {
  const max = (1 << bits) - 1;
  return Array.from({ length: rows * columns }, (_, i) => {
    const x = i % columns;
    const y = Math.floor(i / columns);
    const bright = x >= 8 && x < 24 && y >= 6 && y < 20;
    const v = bright ? Math.round(max * 0.9) : Math.round(max * 0.1);
    return monochrome1 ? max - v : v;
  });
}

function writeOdd(dir: string, name: string, extra: Record<string, unknown>, bits = 16, monochrome1 = false): void {
  const columns = 41;
  const rows = 37; // odd sizes: the SC needs a pad byte, the SEG's bits end mid-byte
  const values = squareValues(columns, rows, bits, monochrome1);
  const bytes = syntheticDicom(rows, columns, values, {
    SOPInstanceUID: `1.2.826.0.1.3680043.8.498.${100 + readdirSync(dir).length}`,
    StudyInstanceUID: STUDY,
    SeriesInstanceUID: SERIES,
    ...extra,
  });
  writeFileSync(path.join(dir, `${name}.dcm`), bytes);
}

async function bundle(name: string, bias: number): Promise<string> {
  const dir = path.join(root, name);
  await writeTinyRun(path.join(dir, 'c'), { role: 'classifier', inputSize: 16, analytic: { gain: 10, bias } });
  await writeTinyRun(path.join(dir, 's'), { role: 'segmenter', inputSize: 32, analytic: {} });
  await makeBundle({ classifierRun: path.join(dir, 'c'), segmenterRun: path.join(dir, 's'), out: path.join(dir, 'b') });
  return path.join(dir, 'b');
}

async function run(bundleDir: string, inputs: string, name: string, emptySegmentation: EmptySegmentation) {
  const dicomOut = path.join(root, `${name}-dicom`);
  const summary = await predictFiles({
    inputs: [inputs],
    // The odd sources are small made-up films the input gate would refuse; this is about the objects
    // written for whatever is assessed (the gate's own outputs: test/pipeline/input-gate.test.ts).
    gate: { enabled: false, rules: DEFAULT_GATE_RULES },
    bundle: bundleDir,
    out: path.join(root, `${name}-out`),
    threads: 1,
    modelFactory: tinyModelFactory,
    derivedOutputs: dicomOutputWriter({
      dir: dicomOut,
      manifest: await readBundleManifest(bundleDir),
      emptySegmentation,
    }),
  });
  const records = readFileSync(summary.predictionsFile, 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as PredictionRecord);
  return { summary, records, dicomOut };
}

test('AS repair: bare numbers of years get three digits and Y; anything else is dropped', () => {
  assert.equal(repairAge('38'), '038Y');
  assert.equal(repairAge('7'), '007Y');
  assert.equal(repairAge('045M'), '045M');
  assert.equal(repairAge('12w'), '012W');
  assert.equal(repairAge('abc'), null);
  assert.equal(repairAge('1234'), null);
});

test('odd sources (12-bit, MONOCHROME1, no pixel spacing, no patient module, bad values) give valid objects or one-line errors', async () => {
  const inputs = path.join(root, 'odd');
  mkdirSync(inputs);
  writeOdd(
    inputs,
    'twelve-bit-mono1-no-spacing',
    { BitsStored: 12, HighBit: 11, PhotometricInterpretation: 'MONOCHROME1' },
    12,
    true,
  );
  writeOdd(inputs, 'bad-values', {
    PatientName: 'Doe^Jane',
    PatientAge: 'abc',
    PatientSex: 'X',
    StudyDate: '2024-01-01',
    AccessionNumber: 'an accession number far too long for SH',
    PixelSpacing: [0.5, 0.25],
  });
  writeOdd(inputs, 'no-study-uid', { StudyInstanceUID: undefined });
  writeOdd(inputs, 'dx-frame-of-reference', {
    SOPClassUID: '1.2.840.10008.5.1.4.1.1.1.1',
    Modality: 'DX',
    FrameOfReferenceUID: '1.2.826.0.1.3680043.8.498.12',
    ImagerPixelSpacing: [0.2, 0.2],
  });
  await writeGrayPng(squareImage(41, 37, { x: 8, y: 6, side: 14 }), path.join(inputs, 'plain.png'));

  const { summary, records, dicomOut } = await run(await bundle('positive', 0), inputs, 'odd', 'skip');
  assert.equal(summary.predicted, 5);
  const reasons = new Map(summary.failures.map((f) => [path.basename(f.file), f.reason]));
  assert.deepEqual([...reasons.keys()].sort(), ['no-study-uid.dcm', 'plain.png']);
  assert.equal(
    reasons.get('no-study-uid.dcm'),
    'no-study-uid.dcm: no StudyInstanceUID; results cannot reference the image',
  );
  assert.match(reasons.get('plain.png')!, /^plain\.png: not a DICOM file, so no DICOM objects were written/);
  for (const reason of reasons.values()) assert.doesNotMatch(reason, /\n/);
  const written = readdirSync(dicomOut).sort();
  assert.equal(written.length, 9, `only the three good sources have objects: ${written.join(', ')}`);

  for (const name of ['twelve-bit-mono1-no-spacing', 'bad-values', 'dx-frame-of-reference']) {
    const record = records.find((r) => r.file.endsWith(`${name}.dcm`))!;
    assert.equal(record.decision, true, `${name} is positive`);
    const files = (record.derived as { dicom: DicomOutputFiles }).dicom;
    const paths = [files.seg!, files.sc!, files.sr!].map((f) => path.join(dicomOut, f));
    for (const file of paths) {
      assert.deepEqual(dciodvfyErrors(file), [], `dciodvfy on ${name} ${path.basename(file)}`);
      dcmdump(file);
    }
    dsr2xml(paths[2]);
    const [seg, , sr] = pydicomView(paths);
    // MONOCHROME1 is inverted on reading, so the bright square is found in both.
    assert.deepEqual(seg.seg!.runs, maskRuns(decodeRle(record.rle, 41, 37).data));
    const pixels = record.area.pixels;
    assert.ok(pixels > 180 && pixels < 260, `about the 16x14 square after resizing: ${pixels}`);
    const area = sr.sr!.items.find((i) => i.concept === 'Area')!.value;
    if (name === 'bad-values') {
      assert.deepEqual(seg.seg!.pixelSpacing, [0.5, 0.25]);
      assert.deepEqual(area, [pixels * 0.125, 'mm2']);
      assert.equal(seg.patientAge, '', 'an unreadable age is left out');
      const dump = dcmdump(paths[0]);
      assert.match(dump, /\(0008,0020\) DA \(no value available\)/, 'a malformed study date is left empty');
      assert.match(dump, /\(0010,0040\) CS \(no value available\)/);
      assert.match(dump, /\(0010,0010\) PN \[Doe\^Jane\]/);
    } else if (name === 'dx-frame-of-reference') {
      assert.deepEqual(seg.seg!.pixelSpacing, [0.2, 0.2], 'Imager Pixel Spacing when there is no Pixel Spacing');
      assert.match(
        dcmdump(paths[0]),
        /\(0020,0052\) UI \[1\.2\.826\.0\.1\.3680043\.8\.498\.12\]/,
        'the frame of reference is kept',
      );
    } else {
      assert.equal(seg.seg!.pixelSpacing, null, 'no spacing: no Pixel Measures');
      assert.deepEqual(area, [pixels, '{pixels}'], 'no spacing: the area is in pixels');
      assert.match(dcmdump(paths[0]), /\(0010,0010\) PN \(no value available\)/, 'missing Type 2 attributes are empty');
    }
  }
});

test('a negative gets SC and SR saying Absent; its SEG is skipped, or has one empty frame when asked', async () => {
  const inputs = path.join(root, 'negative');
  mkdirSync(inputs);
  writeOdd(inputs, 'negative', {});
  const negativeBundle = await bundle('negative', -100);
  for (const mode of ['skip', 'empty-frame'] as const) {
    const { summary, records, dicomOut } = await run(negativeBundle, inputs, `neg-${mode}`, mode);
    assert.deepEqual(summary.failures, []);
    const files = (records[0].derived as { dicom: DicomOutputFiles }).dicom;
    assert.equal(records[0].decision, false);
    assert.equal(files.seg === null, mode === 'skip');
    const paths = [files.seg, files.sc!, files.sr!].filter((f) => f !== null).map((f) => path.join(dicomOut, f));
    for (const file of paths) assert.deepEqual(dciodvfyErrors(file), [], `dciodvfy on ${path.basename(file)}`);
    const views = pydicomView(paths);
    const sr = views.find((v) => v.modality === 'SR')!;
    assert.equal(sr.sr!.items.find((i) => i.concept === 'Pneumothorax')!.value, 'Absent');
    const segment = sr.sr!.items.find((i) => i.concept === 'Referenced Segment');
    if (mode === 'skip') assert.equal(segment, undefined);
    else {
      const seg = views.find((v) => v.modality === 'SEG')!;
      assert.deepEqual(seg.seg!.runs, []);
      assert.deepEqual(segment!.value, [seg.sopInstance, 1]);
    }
  }
});
