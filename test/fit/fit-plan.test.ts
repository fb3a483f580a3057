import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { FIT_PRESETS, parseSetting, resolveFitPlan } from '../../src/fit/fit-plan.js';
import { DEMO_PLANS } from '../../src/demo/demo-plan.js';
import { readConfigFile } from '../../src/train/config.js';
import { continuedState, newFitState, readFitState, writeFitState } from '../../src/fit/fit-state.js';
import { projectWallTime, type Measured } from '../../src/fit/projection.js';

test('the cpu preset is the demo small plan; the GPU presets are larger models in fp16 on CUDA with 5 folds', () => {
  const cpu = resolveFitPlan('cpu');
  assert.deepEqual(cpu.segmenter, DEMO_PLANS.small.segmenter);
  assert.deepEqual(cpu.classifier, DEMO_PLANS.small.classifier);
  assert.equal(cpu.inputSize, DEMO_PLANS.small.inputSize);
  assert.equal(cpu.precision, 'bf16');
  for (const name of ['gpu-512', 'gpu-1024']) {
    const plan = resolveFitPlan(name);
    assert.equal(plan.precision, 'fp16');
    assert.equal(plan.device, 'cuda');
    assert.equal(plan.folds, 5);
    assert.match(plan.segmenter.model, /^unet-resnet(34|50)$/);
  }
  assert.equal(resolveFitPlan('gpu-1024').inputSize, 1024);
  assert.throws(() => resolveFitPlan('tpu'), /unknown preset tpu \(known: cpu, gpu-512, gpu-1024\)/);
});

test('settings layer over the preset: a YAML file, then --set, then flags; recipe settings merge key by key', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'pneumo-fit-plan-'));
  try {
    const file = path.join(dir, 'plan.yaml');
    writeFileSync(
      file,
      'folds: 3\nsegmenter:\n  epochs: 12\n  settings:\n    loss: lovasz\nclassifier:\n  settings:\n    validateEvery: 2\n',
    );
    const plan = resolveFitPlan('cpu', [
      { source: 'config', settings: readConfigFile(file) },
      { source: '--set', settings: parseSetting('segmenter.lr=0.01') },
      { source: 'flags', settings: { folds: 4, inputSize: undefined } },
    ]);
    assert.equal(plan.folds, 4, 'flags last');
    assert.equal(plan.segmenter.epochs, 12);
    assert.equal(plan.segmenter.lr, 0.01);
    assert.deepEqual(plan.segmenter.settings, { loss: 'lovasz' });
    assert.equal(plan.classifier.settings?.validateEvery, 2);
    assert.equal(plan.classifier.settings?.keepWeights, 'last', 'the preset keeps its other recipe settings');
    assert.equal(plan.inputSize, 320);
    assert.equal(FIT_PRESETS.cpu.folds, 1, 'the preset itself is untouched');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a bad setting is one line naming it', () => {
  const bad = (settings: Record<string, unknown>) => resolveFitPlan('cpu', [{ source: 'flags', settings }]);
  assert.throws(() => bad({ epochs: 3 }), /flags: unknown setting epochs \(known: inputSize/);
  assert.throws(() => bad({ segmenter: { epoch: 3 } }), /unknown setting segmenter\.epoch/);
  assert.throws(() => bad({ inputSize: 100 }), /expected a multiple of 32.* for inputSize but received 100/);
  assert.throws(() => bad({ folds: 0 }), /for folds but received 0/);
  assert.throws(() => bad({ segmenter: { model: 'unet-nothing' } }), /segmenter\.model/);
  assert.throws(() => bad({ classifier: { settings: { keepWeights: 'first' } } }), /keepWeights/);
  assert.throws(() => parseSetting('folds'), /expected NAME=VALUE/);
  assert.deepEqual(parseSetting('classifier.settings.augment.hflip.p=0.25'), {
    classifier: { settings: { augment: { hflip: { p: 0.25 } } } },
  });
});

test('the state file: one reader and writer, a version, and a plan that must match to continue', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'pneumo-fit-state-'));
  try {
    const plan = resolveFitPlan('cpu');
    assert.equal(readFitState(dir), null);
    const state = newFitState('/data/siim', plan);
    state.stages.eda = { finishedAt: '2026-01-01T00:00:00Z', seconds: 3, result: { html: 'x' } };
    writeFitState(dir, state);
    assert.deepEqual(readFitState(dir), state);
    assert.deepEqual(continuedState(dir, '/data/siim', plan).stages.eda.seconds, 3);
    assert.throws(() => continuedState(dir, '/data/other', plan), /holds a fit of \/data\/siim, not \/data\/other/);
    assert.throws(
      () => continuedState(dir, '/data/siim', { ...plan, seed: 9 }),
      /another plan \(seed: 1 there, 9 now\)/,
    );
    writeFileSync(path.join(dir, 'fit-state.json'), JSON.stringify({ ...state, schemaVersion: 7 }));
    assert.throws(() => readFitState(dir), /fit-state\.json: schemaVersion is not 1/);
    writeFileSync(path.join(dir, 'fit-state.json'), '{');
    assert.throws(() => readFitState(dir), /fit-state\.json: not valid JSON/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('the projection multiplies the measured per-image times out over folds, epochs and images', () => {
  const plan = resolveFitPlan('cpu', [
    {
      source: 't',
      settings: {
        segmenter: { epochs: 10 },
        classifier: { epochs: 4, settings: { validateEvery: 4 } },
        valFraction: 0.25,
      },
    },
  ]);
  const measured: Measured = {
    device: 'cpu',
    precision: 'bf16',
    note: null,
    segmenter: { model: 'm', batch: 4, trainSecondsPerImage: 0.1, inferSecondsPerImage: 0.01 },
    classifier: { model: 'm', batch: 4, trainSecondsPerImage: 0.2, inferSecondsPerImage: 0.02 },
  };
  const p = projectWallTime(plan, measured, 1000, 0.2);
  // Segmenter: 10 epochs x 200 positives x 0.75 x 0.1 s + 10 validations x 200 x 0.25 x 0.01 s.
  assert.ok(Math.abs(p.seconds.segmenter - (150 + 5)) < 1e-9);
  // Classifier: 4 epochs x 1000 x 0.75 x 0.2 s + 1 validation x 1000 x 0.25 x 0.02 s.
  assert.ok(Math.abs(p.seconds.classifier - (600 + 5)) < 1e-9);
  assert.ok(Math.abs(p.seconds.operatingPoint - 250 * 0.03) < 1e-9);
  const five = projectWallTime({ ...plan, folds: 5 }, measured, 1000, 0.2);
  // Five models, each on 80% of the images: 5 x 0.8 / 0.75 as much training.
  assert.ok(five.seconds.segmenter > ((5 * p.seconds.segmenter * 0.8) / 0.75) * 0.95);
});
