import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import * as torch from '../../src/torch/index.js';
import { readReferenceDistribution } from '../../src/pipeline/bundle-reference.js';
import { makeBundle, readBundleManifest } from '../../src/pipeline/bundle.js';
import { evaluateBundle } from '../../src/evaluate/evaluate-bundle.js';
import { EVALUATION_SCHEMA_VERSION, readEvaluation } from '../../src/evaluate/evaluation-file.js';
import { writeEvaluationReport } from '../../src/report/evaluation-report.js';
import { parseHardExamples } from '../../src/evaluate/hard-examples.js';
import { predictFiles } from '../../src/pipeline/predict-files.js';
import { scoreLabelFiles } from '../../src/metrics/siim-score.js';
import { indexDataset } from '../../src/data/dataset.js';
import { stratifiedSplit } from '../../src/data/split.js';
import { recordRunImages, tinyModelFactory, writeTinyRun } from '../pipeline/tiny-models.js';
import { SIIM_SAMPLE, SIIM_SAMPLE_CSV } from '../fixture-path.js';
import { DEFAULT_GATE_RULES } from '../../src/pipeline/gate-rules.js';

const NO_GATE = { enabled: false, rules: DEFAULT_GATE_RULES };

const root = mkdtempSync(path.join(tmpdir(), 'pneumo-evaluate-'));
test.after(() => rmSync(root, { recursive: true, force: true }));

async function bundle(name: string): Promise<string> {
  const c = path.join(root, `${name}-c`);
  const s = path.join(root, `${name}-s`);
  await writeTinyRun(c, { role: 'classifier', inputSize: 64, analytic: { gain: 20, bias: -9 } });
  await writeTinyRun(s, { role: 'segmenter', inputSize: 128, analytic: {} });
  const out = path.join(root, name);
  await makeBundle({ classifierRun: c, segmenterRun: s, out, thresholds: { pixel: 0.99, minArea: 2000 } });
  return out;
}

test('evaluate on the SIIM sample: every artefact is written and parses; the pipeline score agrees with predict + score', async () => {
  const dir = await bundle('b1');
  const out = path.join(root, 'eval');
  const live = torch.liveTensors();
  const r = await evaluateBundle({
    bundle: dir,
    data: SIIM_SAMPLE,
    labels: SIIM_SAMPLE_CSV,
    split: 'all',
    out,
    modelFactory: tinyModelFactory,
    threads: 1,
    batchSize: 4,
  });
  assert.equal(torch.liveTensors(), live, 'evaluation leaks no tensor');
  assert.equal(r.images, 10);
  assert.deepEqual([r.positives, r.negatives], [5, 5]);
  assert.equal(r.sweep.length, 19);
  const best = Math.max(...r.sweep.map((row) => row.siimScore!));
  assert.equal(r.tunedOperatingPoint.row.siimScore, best);
  const frozen = r.atBundleThresholds;
  assert.deepEqual(frozen.thresholds, { classifier: 0.5, pixel: 0.99, minArea: 2000 });
  assert.equal(frozen.classifier.truePositives + frozen.classifier.falseNegatives, 5);
  // The pipeline calls positive only images the classifier passes: never more than the classifier.
  assert.ok(frozen.pipeline.truePositives <= frozen.classifier.truePositives);
  assert.ok(frozen.pipeline.falsePositives <= frozen.classifier.falsePositives);
  assert.equal(
    r.probabilityHistogram.positives.reduce((a, b) => a + b),
    5,
  );
  const written = await readEvaluation(r.files.evaluation);
  assert.equal(written.images, 10);
  assert.equal(written.schemaVersion, EVALUATION_SCHEMA_VERSION);
  assert.deepEqual(written.study.auc, r.study.auc);
  assert.deepEqual(
    written.study.subgroups.map((f) => f.key),
    ['sex', 'age', 'view', 'mask-size'],
    'subgroups from the headers and the truth masks',
  );
  assert.equal(readFileSync(r.files.sweepCsv, 'utf8').trim().split('\n').length, 20);
  const hard = parseHardExamples(readFileSync(r.files.hardExamples, 'utf8'));
  assert.equal(r.errorThreshold, 0.5);
  const errors = frozen.classifier.falseNegatives + frozen.classifier.falsePositives;
  assert.equal(hard.filter((h) => h.reason !== 'poor-segmentation').length, errors);
  for (const g of r.galleries)
    for (const e of g.entries) assert.ok(existsSync(path.join(out, e.thumbnail)), e.thumbnail);
  assert.equal(r.galleries.length, 6);
  assert.ok(!existsSync(r.files.report), 'evaluate returns results; the caller writes the report');
  await writeEvaluationReport(r, out);
  const html = readFileSync(r.files.report, 'utf8');
  const lead = html.search(/At the bundle(&#39;|&#x27;|')s thresholds/);
  const tuned = html.indexOf('Tuned on this set (optimistic bound)');
  assert.ok(lead >= 0 && tuned > lead, 'the frozen thresholds lead; the re-tuned point follows, labelled');
  for (const plot of [
    'roc',
    'precision-recall',
    'threshold-sweep',
    'confusion-matrix',
    'probability-histogram',
    'reliability',
    'subgroup-auc-sex',
  ]) {
    assert.ok(
      existsSync(path.join(out, 'plots', `${plot}.svg`)) && existsSync(path.join(out, 'plots', `${plot}.png`)),
      plot,
    );
    assert.ok(html.includes(`plots/${plot}.svg`), `${plot} linked`);
  }

  // The bundle as it is through predict: its positives are the pipeline's, its score the pipeline's.
  // evaluate measures the models on every image; predict's input gate (which refuses the sample's two
  // children) is tested in test/pipeline/input-gate.test.ts, so it is off for this comparison.
  const asIs = await predictFiles({
    inputs: [SIIM_SAMPLE],
    gate: NO_GATE,
    bundle: dir,
    out: path.join(root, 'pred-frozen'),
    modelFactory: tinyModelFactory,
    threads: 1,
  });
  assert.equal(asIs.positives, frozen.pipeline.truePositives + frozen.pipeline.falsePositives);
  const scoredAsIs = await scoreLabelFiles(SIIM_SAMPLE_CSV, asIs.submissionFile);
  assert.ok(Math.abs(scoredAsIs.score! - frozen.siimScore!) < 1e-9, `${scoredAsIs.score} vs ${frozen.siimScore}`);
  const positives = r.perImage.filter((p) => p.label === 1);
  const pipelineDice = positives.map((p) => (p.probability >= 0.5 ? p.segmentedDice : 0));
  assert.ok(Math.abs(frozen.dicePositive.pipeline! - pipelineDice.reduce((a, b) => a + b) / positives.length) < 1e-12);
  assert.equal(frozen.dicePositive.segmenter, r.segmentation.summary.meanDicePositive);

  // The tuned threshold through predict, scored by the independent RLE scorer.
  const predicted = path.join(root, 'pred');
  const t = r.tunedOperatingPoint.threshold;
  const manifest = await readBundleManifest(dir);
  assert.deepEqual(manifest.thresholds.classifier, 0.5, 'evaluate without --write-bundle leaves the bundle alone');
  const { updateBundleThresholds } = await import('../../src/pipeline/bundle.js');
  await updateBundleThresholds(
    dir,
    { ...manifest.thresholds, classifier: t },
    { rule: 'test', split: 'test', images: null, at: '', siimScore: null },
  );
  await predictFiles({
    inputs: [SIIM_SAMPLE],
    gate: NO_GATE,
    bundle: dir,
    out: predicted,
    modelFactory: tinyModelFactory,
    threads: 1,
  });
  const scored = await scoreLabelFiles(SIIM_SAMPLE_CSV, path.join(predicted, 'submission.csv'));
  assert.ok(
    Math.abs(scored.score! - r.tunedOperatingPoint.row.siimScore!) < 1e-9,
    `${scored.score} vs ${r.tunedOperatingPoint.row.siimScore}`,
  );
});

test('validation split from the bundle provenance; triplet search written into the bundle', async () => {
  const dir = await bundle('b2');
  const r = await evaluateBundle({
    bundle: dir,
    data: SIIM_SAMPLE,
    labels: SIIM_SAMPLE_CSV,
    out: path.join(root, 'eval2'),
    validationFraction: 0.4,
    searchTriplet: true,
    writeBundle: true,
    minRecall: 0.5,
    modelFactory: tinyModelFactory,
    threads: 1,
  });
  const index = await indexDataset(SIIM_SAMPLE, { labels: SIIM_SAMPLE_CSV });
  const expected = stratifiedSplit(index.items, { validationFraction: 0.4, seed: 1 }).validation.map((i) => i.imageId);
  assert.deepEqual(
    r.perImage.map((p) => p.imageId),
    expected,
  );
  assert.equal(r.split.seed, 1, 'seed from the runs');
  assert.match(r.tunedOperatingPoint.description, /recall >= 0.5/);
  assert.ok(r.triplet);
  for (const t of r.triplet.classifierThresholds) assert.ok(r.sweep.find((row) => row.threshold === t)!.recall! >= 0.5);
  assert.equal(r.triplet.best.siimScore, Math.max(...r.triplet.scores.map((x) => x.siimScore)));
  const manifest = await readBundleManifest(dir);
  assert.deepEqual(manifest.thresholds, {
    classifier: r.triplet.best.classifierThreshold,
    pixel: r.triplet.best.pixelThreshold,
    minArea: r.triplet.best.minArea,
  });
  assert.match(manifest.thresholdSource.rule, /triplet/);
  // The temperature is frozen with the thresholds, on the same validation images, and shown after.
  assert.equal(manifest.calibration?.method, 'temperature');
  assert.equal(manifest.calibration?.n, r.images);
  assert.deepEqual(r.writtenCalibration, manifest.calibration);
  assert.equal(r.study.calibration.calibrated, null, 'the evaluation that fits it measures the bundle as it was');
  // So are the validation probabilities that serve's monitoring compares its inputs with.
  assert.equal(manifest.reference?.n, r.images);
  assert.equal(manifest.reference?.ood, false);
  const reference = await readReferenceDistribution(dir, manifest.reference!);
  assert.deepEqual(
    reference.probabilities,
    r.perImage.map((p) => p.probability),
  );
  // Both named points are frozen with it; thresholds stay the siim point for older readers.
  const points = manifest.operatingPoints!;
  assert.deepEqual(r.writtenOperatingPoints, points);
  assert.deepEqual(
    { classifier: points.siim.classifier, pixel: points.siim.pixel, minArea: points.siim.minArea },
    manifest.thresholds,
  );
  assert.equal(points.siim.recallFloor, 0.5, '--min-recall is the siim search recall floor');
  assert.equal(points.triage.recallFloor, 0.9);
  assert.ok(points.triage.floorMet === false || points.triage.recall! >= 0.9, JSON.stringify(points.triage));
  assert.match(points.triage.source.rule, /highest pipeline specificity whose recall is at least 0.9/);
  assert.equal(points.triage.source.images, r.images);
  // Calibration before and after, on the images it was fitted on.
  assert.deepEqual(r.writtenCalibrationCheck?.calibrated?.calibration, manifest.calibration);
  assert.equal(
    r.writtenCalibrationCheck?.uncalibrated.brierScore,
    r.study.calibration.uncalibrated.brierScore,
    'before is the model as trained',
  );
  const after = await evaluateBundle({
    bundle: dir,
    data: SIIM_SAMPLE,
    labels: SIIM_SAMPLE_CSV,
    out: path.join(root, 'eval3'),
    split: 'all',
    bootstrap: 0,
    modelFactory: tinyModelFactory,
    threads: 1,
  });
  assert.equal(after.study.calibration.calibrated?.calibration.temperature, manifest.calibration!.temperature);
  // The frozen bundle's named points, measured side by side; siim's are the lead figures.
  assert.deepEqual(
    after.study.namedPoints.map((p) => [p.name, p.thresholds.classifier, p.thresholds.pixel, p.thresholds.minArea]),
    (['siim', 'triage'] as const).map((n) => [n, points[n].classifier, points[n].pixel, points[n].minArea]),
  );
  assert.deepEqual(after.study.namedPoints[0].atPoint, after.atBundleThresholds);
  assert.deepEqual(
    after.study.operatingPoints.filter((p) => p.rule === 'bundle').map((p) => [p.name, p.stage]),
    [
      ['siim', 'pipeline'],
      ['triage', 'pipeline'],
    ],
  );
  assert.equal(after.study.auc.bootstrap.lower, null, '--bootstrap 0: no intervals');
});

test('a validation split holding training images is refused unless --allow-overlap; the overlap is counted', async () => {
  const c = path.join(root, 'ov-c');
  const s = path.join(root, 'ov-s');
  await writeTinyRun(c, { role: 'classifier', inputSize: 64, analytic: { gain: 20, bias: -9 } });
  await writeTinyRun(s, { role: 'segmenter', inputSize: 128, analytic: {} });
  // The runs trained on the sample as their split (fraction 0.2, seed 1) has it.
  const index = await indexDataset(SIIM_SAMPLE, { labels: SIIM_SAMPLE_CSV });
  const split = stratifiedSplit(index.items, { validationFraction: 0.2, seed: 1 });
  const ids = (items: { imageId: string }[]) => items.map((i) => i.imageId);
  recordRunImages(c, ids(split.train), ids(split.validation));
  recordRunImages(s, ids(split.train.filter((i) => i.label === 1)), ids(split.validation.filter((i) => i.label === 1)));
  const dir = path.join(root, 'ov');
  await makeBundle({ classifierRun: c, segmenterRun: s, out: dir });
  const evaluate = (name: string, extra: { validationFraction?: number; allowOverlap?: boolean; split?: 'all' }) =>
    evaluateBundle({
      bundle: dir,
      data: SIIM_SAMPLE,
      labels: SIIM_SAMPLE_CSV,
      out: path.join(root, name),
      modelFactory: tinyModelFactory,
      threads: 1,
      galleryLimit: 1,
      ...extra,
    });
  const honest = await evaluate('ov-honest', {});
  assert.deepEqual(r(honest), [ids(split.validation), 0]);
  // Another split of the same images: its "validation" part holds training images.
  const other = stratifiedSplit(index.items, { validationFraction: 0.4, seed: 1 }).validation;
  const overlapping = other.filter((i) => split.train.includes(i)).length;
  assert.ok(overlapping > 0);
  await assert.rejects(evaluate('ov-refused', { validationFraction: 0.4 }), (err: Error) => {
    assert.equal(err.name, 'TrainingOverlapError');
    assert.match(
      err.message,
      new RegExp(
        `^the validation split holds ${overlapping} of ${other.length} images the bundle was trained on .*--allow-overlap`,
      ),
    );
    return true;
  });
  assert.equal(existsSync(path.join(root, 'ov-refused', 'evaluation.json')), false);
  const allowed = await evaluate('ov-allowed', { validationFraction: 0.4, allowOverlap: true });
  assert.deepEqual(r(allowed), [ids(other), overlapping]);
  // --split all is every image by choice; the overlap is reported, not refused.
  const all = await evaluate('ov-all', { split: 'all' });
  assert.equal(all.split.trainingOverlap, split.train.length);
  function r(result: Awaited<ReturnType<typeof evaluateBundle>>) {
    return [result.perImage.map((p) => p.imageId), result.split.trainingOverlap];
  }
});
