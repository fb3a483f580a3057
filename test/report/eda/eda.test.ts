// End to end on real data: the SIIM sample (facts in shared/fixtures/README.md), then the same with a
// corrupt DICOM and a malformed label row added, which must be reported, not fatal.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { copyFile, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { runEda } from '../../../src/report/eda/run-eda.js';
import { writeEdaReport } from '../../../src/report/eda/eda-report.js';
import { SIIM_SAMPLE } from '../../fixture-path.js';

const PREFIX = '1.2.276.0.7230010.3.1.4.8323329.';
// From the fixture README: suffix -> label, sex, age, view.
const README: Record<string, [string, string, number, string]> = {
  '1000.1517875165.878027': ['negative', 'M', 38, 'PA'],
  '10000.1517875220.938530': ['negative', 'F', 10, 'AP'],
  '10001.1517875220.930580': ['negative', 'F', 50, 'AP'],
  '10002.1517875220.939397': ['negative', 'F', 68, 'AP'],
  '10003.1517875220.942420': ['negative', 'M', 65, 'AP'],
  '12743.1517875241.599591': ['positive', 'M', 28, 'PA'],
  '1314.1517875167.222290': ['positive', 'M', 16, 'PA'],
  '4440.1517875182.865105': ['positive', 'F', 65, 'AP'],
  '4904.1517875185.355709': ['positive', 'F', 69, 'PA'],
  '4982.1517875185.837576': ['positive', 'F', 56, 'PA'],
};

async function sampleCopy(): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), 'pneumo-eda-'));
  for (const name of await readdir(SIIM_SAMPLE))
    if (name.endsWith('.dcm')) await copyFile(path.join(SIIM_SAMPLE, name), path.join(dir, name));
  await copyFile(path.join(SIIM_SAMPLE, 'train-rle-sample.crlf-bom.csv'), path.join(dir, 'train-rle.csv'));
  return dir;
}

test('SIIM sample: eda.json, metadata.csv, plots and report hold the README facts', async () => {
  const data = await sampleCopy();
  const out = path.join(data, 'out');
  try {
    const result = await runEda({ dataDir: data });
    const outputs = await writeEdaReport(result, out);
    const json = JSON.parse(await readFile(outputs.json, 'utf8'));
    assert.deepEqual(
      [json.rows, json.images, json.duplicateRows, json.positive, json.negative, json.positiveRate],
      [10, 10, 0, 5, 5, 0.5],
    );
    const h = json.headers;
    assert.deepEqual([h.files, h.readable, h.unreadable.length], [10, 10, 0]);
    assert.deepEqual(h.sex, { F: 6, M: 4 });
    assert.deepEqual(
      h.sexByClass.map((r: { value: string; negative: number; positive: number }) => [r.value, r.negative, r.positive]),
      [
        ['F', 3, 3],
        ['M', 2, 2],
      ],
    );
    assert.deepEqual(
      h.viewByClass.map((r: { value: string; negative: number; positive: number }) => [
        r.value,
        r.negative,
        r.positive,
      ]),
      [
        ['AP', 4, 1],
        ['PA', 1, 4],
      ],
    );
    assert.deepEqual(
      [h.modality, h.bodyPart, h.imageSize, h.photometricInterpretation, h.transferSyntax],
      [
        { CR: 10 },
        { CHEST: 10 },
        { '1024x1024': 10 },
        { MONOCHROME2: 10 },
        { 'JPEG Baseline (Process 1) (1.2.840.10008.1.2.4.50)': 10 },
      ],
    );
    assert.deepEqual(
      [
        h.age.positive.min,
        h.age.positive.max,
        h.age.negative.min,
        h.age.negative.max,
        h.age.implausible.length,
        h.age.missing,
      ],
      [16, 69, 10, 68, 0, 0],
    );
    assert.ok(
      h.age.absences.includes('no positive case under 16 (1 negative case under it)'),
      h.age.absences.join('; '),
    );
    assert.deepEqual([h.imagesWithoutLabel, h.labelsWithoutImage, json.labelProblems], [[], [], []]);

    const [head, ...lines] = (await readFile(outputs.csv, 'utf8')).trimEnd().split('\n');
    const columns = head.split(',');
    const col = (row: string[], name: string) => row[columns.indexOf(name)];
    assert.equal(lines.length, 10);
    for (const line of lines) {
      const row = line.split(',');
      const [cls, sex, age, view] = README[col(row, 'imageId').replace(PREFIX, '')];
      assert.deepEqual(
        [col(row, 'label'), col(row, 'sex'), Number(col(row, 'age')), col(row, 'view')],
        [cls, sex, age, view],
      );
      assert.equal(col(row, 'file'), `${col(row, 'imageId')}.dcm`); // relative to the dataset folder
    }

    const html = await readFile(outputs.html, 'utf8');
    const names = [
      'class-balance',
      'rows-per-positive-image',
      'mask-area',
      'mask-area-vs-siim',
      'mask-location',
      'sex-by-class',
      'age-by-class',
      'view-by-class',
    ];
    assert.deepEqual(Object.keys(outputs.plots).sort(), [...names].sort());
    for (const name of names) {
      assert.ok(html.includes(`src="plots/${name}.svg"`), name);
      assert.ok(existsSync(path.join(out, 'plots', `${name}.png`)), name);
    }
    assert.ok(html.includes('no positive case under 16'));
  } finally {
    await rm(data, { recursive: true, force: true });
  }
});

test('a corrupt DICOM and a malformed label row are listed, the rest analysed', async () => {
  const data = await sampleCopy();
  try {
    const first = (await readdir(data)).find((n) => n.endsWith('.dcm'))!;
    const bytes = await readFile(path.join(data, first));
    await writeFile(path.join(data, 'sub-truncated.dcm'), bytes.subarray(0, 300));
    await writeFile(path.join(data, 'empty.dcm'), '');
    const csv = await readFile(path.join(data, 'train-rle.csv'), 'utf8');
    await writeFile(path.join(data, 'train-rle.csv'), csv + '\r\nbroken-row-without-rle\r\n');
    const result = await runEda({ dataDir: data });
    assert.deepEqual(result.headers?.unreadable.map((u) => path.basename(u.path)).sort(), [
      'empty.dcm',
      'sub-truncated.dcm',
    ]);
    assert.ok(result.headers?.unreadable.every((u) => u.reason.length > 0));
    assert.equal(result.headers?.readable, 10);
    assert.equal(result.labels.images, 10);
    assert.deepEqual(
      result.labelProblems.map((p) => p.imageId),
      ['broken-row-without-rle'],
    );
    const outputs = await writeEdaReport(result, path.join(data, 'out'));
    const html = await readFile(outputs.html, 'utf8');
    assert.ok(html.includes('sub-truncated.dcm') && html.includes('broken-row-without-rle'));
    assert.ok(html.includes('3 problems found'));
  } finally {
    await rm(data, { recursive: true, force: true });
  }
});

test('labels alone: label facts and plots, no header tables', async () => {
  const out = await mkdtemp(path.join(tmpdir(), 'pneumo-eda-labels-'));
  try {
    const result = await runEda({ labelsFile: path.join(SIIM_SAMPLE, 'train-rle-sample.csv') });
    const outputs = await writeEdaReport(result, out);
    const json = JSON.parse(await readFile(outputs.json, 'utf8'));
    assert.deepEqual([json.images, json.positive, json.headers, json.dataDir], [10, 5, null, null]);
    assert.deepEqual(Object.keys(outputs.plots).sort(), [
      'class-balance',
      'mask-area',
      'mask-area-vs-siim',
      'mask-location',
      'rows-per-positive-image',
    ]);
  } finally {
    await rm(out, { recursive: true, force: true });
  }
});
