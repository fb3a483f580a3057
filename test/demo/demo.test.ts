// The reduced demo end to end: every artefact the report links exists and parses, and a second run
// into the same folder reuses nothing and gives the same numbers.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { runDemo } from '../../src/demo/run-demo.js';
import type { DemoResult } from '../../src/report/demo-summary.js';
import { demoPlan } from '../../src/demo/demo-plan.js';
import { parseLabelCsv } from '../../src/data/labels.js';
import { decodeRle } from '../../src/data/rle.js';
import { runPneumo } from '../cli/run-pneumo.js';

const root = mkdtempSync(path.join(tmpdir(), 'pneumo-demo-'));
after(() => rmSync(root, { recursive: true, force: true }));
const out = path.join(root, 'demo');
const plan = demoPlan('tiny');

const parseJson = (file: string) => JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
const parseJsonl = (file: string) =>
  readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as Record<string, unknown>);

let first: DemoResult;

test('the tiny demo writes every artefact, and each one parses', async () => {
  first = await runDemo({ out, plan, seed: 5 });
  assert.deepEqual(first.failures, []);
  const demoJson = parseJson(path.join(out, 'demo.json'));
  assert.equal((demoJson.headline as { threshold: number }).threshold, first.headline.threshold);

  const html = readFileSync(path.join(out, 'index.html'), 'utf8');
  assert.match(html, /classifier ROC AUC/);
  assert.match(html, /smoke run/);
  // The test set as a clinical study: intervals, calibration, subgroups, the drain's shortcut probe.
  for (const section of ['Confidence intervals', 'Calibration', 'Subgroups', 'Shortcut probe'])
    assert.match(html, new RegExp(section));
  assert.ok(first.testStudy.shortcuts.some((p) => p.device === 'a chest drain'));
  // Figures named by what they measure, and sentences from the data, not from a template.
  for (const label of [
    'pipeline recall',
    'pipeline specificity',
    'Dice on positives, segmenter alone',
    'Dice on positives, pipeline',
  ])
    assert.ok(html.includes(label), label);
  assert.ok(html.includes(`${plan.imageSide}² DICOM`), 'the image size of this run');
  assert.ok(html.includes('Recipe') && html.includes('peakLogit'), 'the recipe of each stage');
  assert.equal(first.precision, plan.precision);
  if (first.siimSample) {
    assert.ok(html.includes(`${first.siimSample.positives} of the ${first.siimSample.images} are positive`));
    // The real films show their truth: one thumbnail per film, the labelled ones with blue pixels in it.
    assert.equal(html.match(/truth: pneumothorax \(blue\)/g)?.length ?? 0, first.siimSample.positives);
    const thumbnails = [...html.matchAll(/src="([^"]*gallery\/truth\/[^"]+)"/g)].map((m) => m[1]);
    assert.equal(thumbnails.length, first.siimSample.images);
    const blue = await Promise.all(
      thumbnails.map(async (t) => {
        const rgb = await sharp(path.join(out, decodeURIComponent(t)))
          .raw()
          .toBuffer();
        let n = 0;
        for (let i = 0; i < rgb.length; i += 3) if (rgb[i + 2] - rgb[i] > 60) n++;
        return n > 0;
      }),
    );
    assert.equal(blue.filter(Boolean).length, first.siimSample.positives, 'truth drawn on exactly the positives');
  }
  // Every relative link and image of the index exists.
  const refs = [...html.matchAll(/(?:href|src)="([^"#]+)"/g)].map((m) => m[1]).filter((r) => !/^[a-z]+:/.test(r));
  assert.ok(refs.length > 10, `only ${refs.length} links`);
  for (const ref of refs)
    assert.ok(existsSync(path.join(out, decodeURIComponent(ref))), `index.html links ${ref}, which does not exist`);

  // Data, EDA, runs and bundle.
  const eda = parseJson(path.join(out, 'eda', 'eda.json'));
  assert.equal(eda.images, plan.images);
  for (const task of ['segmenter', 'classifier']) {
    const run = path.join(out, 'runs', task);
    assert.ok(existsSync(path.join(run, 'best.safetensors')));
    assert.equal(
      readFileSync(path.join(run, 'metrics.csv'), 'utf8').trim().split('\n').length,
      1 + plan[task as 'segmenter'].epochs,
    );
    assert.equal(
      (parseJson(path.join(run, 'run.json')) as { model: { name: string } }).model.name,
      plan[task as 'segmenter'].model,
    );
  }
  const bundle = parseJson(path.join(out, 'bundle', 'bundle.json')) as { thresholds: Record<string, number> };
  assert.deepEqual(bundle.thresholds.classifier, first.thresholds.classifier);

  // Evaluations.
  for (const split of ['validation', 'test']) {
    const evaluation = parseJson(path.join(out, 'evaluation', split, 'evaluation.json'));
    assert.ok(Array.isArray(evaluation.sweep) && (evaluation.sweep as unknown[]).length >= 17);
    assert.ok(existsSync(path.join(out, 'evaluation', split, 'index.html')));
  }
  assert.equal(
    (parseJson(path.join(out, 'evaluation', 'test', 'evaluation.json')) as { images: number }).images,
    plan.testImages,
  );

  // Predictions: overlays at the source size, masks equal to their RLE, a SIIM-format submission.
  for (const folder of readdirSync(path.join(out, 'predictions'))) {
    const dir = path.join(out, 'predictions', folder);
    const records = parseJsonl(path.join(dir, 'predictions.jsonl')) as unknown as {
      id: string;
      status: string;
      width: number;
      height: number;
      overlay: string;
      rle: string;
      decision: boolean;
      area: { pixels: number };
    }[];
    assert.ok(records.length > 0);
    for (const r of records) {
      const meta = await sharp(path.join(dir, r.overlay)).metadata();
      assert.equal(meta.width, r.width);
      assert.ok(meta.height! >= r.height, 'the overlay holds the whole image (and its title)');
      const mask = decodeRle(r.rle, r.width, r.height, r.id);
      assert.equal(
        mask.data.reduce((a, b) => a + b, 0),
        r.area.pixels,
      );
    }
    const submission = parseLabelCsv(readFileSync(path.join(dir, 'submission.csv'), 'utf8'), 'submission.csv');
    assert.equal(submission.malformed.length, 0);
    // Images the input gate did not assess (e.g. a child's film) are no submission row: no finding is made up for them.
    assert.equal(submission.images.size, records.filter((r) => r.status !== 'not-assessed').length);
  }
});

test('a second run replaces the first, reuses nothing stale and gives the same numbers', async () => {
  const stale = path.join(out, 'runs', 'segmenter', 'stale-marker');
  writeFileSync(stale, 'left by an earlier run');
  // Through the command line this time: with --json, stdout holds the result and nothing else.
  const run = runPneumo(['demo', '--size', 'tiny', '--seed', '5', '--out', out, '--json']);
  assert.equal(run.status, 0, run.stderr);
  const second = JSON.parse(run.stdout) as DemoResult;
  assert.match(run.stderr, /\[1\/9\] synthesising/, 'progress goes to stderr');
  assert.equal(existsSync(stale), false);
  assert.deepEqual(second.headline, first.headline);
  assert.deepEqual(second.thresholds, first.thresholds);
});

test('a folder holding files the demo did not make is refused', async () => {
  const other = path.join(root, 'other');
  rmSync(other, { recursive: true, force: true });
  mkdirSync(other, { recursive: true });
  writeFileSync(path.join(other, 'thesis.docx'), 'precious');
  await assert.rejects(runDemo({ out: other, plan, seed: 5 }), /holds files the demo did not make \(thesis\.docx\)/);
  assert.ok(existsSync(path.join(other, 'thesis.docx')));
});
