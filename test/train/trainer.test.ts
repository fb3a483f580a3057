// The training loop on small in-memory data: the registry's small classifier and U-Net learn; a run
// resumed after epoch 1 ends with the weights of a run that never stopped; a crash between writing a
// checkpoint's files and committing it leaves the previous checkpoint whole; a non-finite loss stops
// the run naming the epoch and step; the run folder holds config, metrics.csv, events and run.json.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import * as torch from '../../src/torch/index.js';
import { nn, type Tensor } from '../../src/torch/index.js';
import { loadSafetensors, loadSafetensorsWithMetadata } from '../../src/torch/safetensors.js';
import { createModel } from '../../src/models/registry.js';
import { resolveTrainConfig, type TrainConfig } from '../../src/train/config.js';
import { memorySource } from '../../src/train/batch-source.js';
import { trainModel, NonFiniteLossError, ResumeError } from '../../src/train/trainer.js';
import {
  readLastCheckpoint,
  restoreCheckpoint,
  bestWeightsFile,
  checkpointsFolder,
} from '../../src/train/checkpoint.js';
import { makeOptimizer } from '../../src/train/trainer.js';
import { shuffledBatches, tinyBatches, tinyImages } from './tiny-data.js';

const root = mkdtempSync(path.join(tmpdir(), 'pneumo-trainer-'));
test.after(() => rmSync(root, { recursive: true, force: true }));
let runs = 0;
const SIZE = 64;

function config(task: 'classifier' | 'segmenter', overrides: Partial<TrainConfig> = {}): TrainConfig {
  return resolveTrainConfig(
    task,
    {},
    { data: 'memory', out: path.join(root, `run-${++runs}`), size: SIZE, augment: null, ...overrides },
  );
}

/** A small conv classifier for the loop's mechanics (fast; dropout exercises the seeded generator). */
class SmallClassifier extends nn.Module {
  readonly body = this.registerModule(
    'body',
    new nn.Sequential(
      new nn.Conv2d(1, 8, 3, { stride: 2, padding: 1 }),
      new nn.BatchNorm2d(8),
      new nn.ReLU(),
      new nn.Conv2d(8, 16, 3, { stride: 2, padding: 1 }),
      new nn.ReLU(),
      new nn.AdaptiveAvgPool2d(1),
      new nn.Flatten(),
      new nn.Dropout(0.3),
      new nn.Linear(16, 1),
    ),
  );
  forward(x: Tensor): Tensor {
    return torch.scope(() => this.body.forward(x).reshape([x.shape[0]]));
  }
}

function smallModel(seed = 1): SmallClassifier {
  torch.manualSeed(seed);
  return new SmallClassifier();
}

test('the small classifier learns: loss falls and held-out AUC is far above chance', async () => {
  const trainItems = tinyImages(48, SIZE, 1);
  const validation = memorySource(tinyBatches(tinyImages(32, SIZE, 2), 16, SIZE));
  torch.manualSeed(1);
  const model = createModel('classifier-resnet18-w16');
  const c = config('classifier', { epochs: 5, batchSize: 16, lr: 3e-3, schedule: 'none' });
  const result = await trainModel({
    config: c,
    model,
    train: memorySource(shuffledBatches(trainItems, 16, SIZE, 1)),
    validation,
  });
  model.dispose();
  const h = result.history;
  assert.equal(h.length, 5);
  assert.ok(
    h[4].train.loss < h[0].train.loss * 0.7,
    `train loss ${h.map((r) => r.train.loss.toFixed(3)).join(' -> ')}`,
  );
  const auc = Math.max(...h.map((r) => r.validation.auc ?? 0));
  assert.ok(auc >= 0.9, `held-out AUC ${h.map((r) => r.validation.auc).join(', ')}`);
  assert.equal(result.best!.value, auc, 'best checkpoint by validation AUC');
  const run = JSON.parse(readFileSync(path.join(c.out, 'run.json'), 'utf8'));
  assert.equal(run.status, 'finished');
  assert.equal(run.best.epoch, result.best!.epoch);
  assert.ok(run.threshold.value > 0 && run.threshold.value < 1, 'a threshold proposed on validation');
  const csv = readFileSync(path.join(c.out, 'metrics.csv'), 'utf8').trim().split('\n');
  assert.equal(csv.length, 6);
  assert.match(csv[0], /^epoch,lr,seconds,train_images_per_s,train_loss,train_auc,.*val_loss,val_auc,/);
  assert.equal(JSON.parse(readFileSync(path.join(c.out, 'config.json'), 'utf8')).lr, 3e-3);
  assert.equal(readdirSync(path.join(c.out, 'tb')).length, 1);
  const best = loadSafetensors(bestWeightsFile(c.out));
  assert.ok(best.has('encoder.conv1.weight') && best.has('head.1.weight'));
  for (const t of best.values()) t.dispose();
});

test('the small U-Net learns: Dice on positive images rises well above its start', async () => {
  const positives = tinyImages(24, SIZE, 3, 1);
  const validation = memorySource(tinyBatches(tinyImages(12, SIZE, 4, 1), 12, SIZE));
  torch.manualSeed(2);
  const model = createModel('unet-resnet18-w16');
  const c = config('segmenter', { epochs: 6, batchSize: 8, lr: 3e-3, schedule: 'none' });
  const result = await trainModel({
    config: c,
    model,
    train: memorySource(shuffledBatches(positives, 8, SIZE, 2)),
    validation,
  });
  model.dispose();
  const dice = result.history.map((r) => r.validation.dice ?? 0);
  assert.ok(
    Math.max(...dice) >= 0.6 && Math.max(...dice) > dice[0] + 0.3,
    `validation Dice ${dice.map((d) => d.toFixed(3)).join(' -> ')}`,
  );
  assert.ok(result.history.at(-1)!.train.loss < result.history[0].train.loss * 0.7);
  assert.equal(result.monitor, 'dice');
});

async function weightsOf(run: string): Promise<Map<string, Float32Array>> {
  const tensors = loadSafetensors(path.join(checkpointsFolder(run), readLastCheckpoint(run)!.weightsFile));
  const out = new Map([...tensors].map(([k, t]) => [k, t.toFloat32Array()]));
  for (const t of tensors.values()) t.dispose();
  return out;
}

test('resume: 1 epoch + resume 1 epoch ends with the weights and optimizer state of 2 epochs straight', async () => {
  const items = tinyImages(24, SIZE, 5);
  const train = () => memorySource(shuffledBatches(items, 8, SIZE, 3));
  const validation = () => memorySource(tinyBatches(tinyImages(8, SIZE, 6), 8, SIZE));
  const base = {
    epochs: 2,
    batchSize: 8,
    lr: 1e-2,
    optimizer: 'adamw' as const,
    schedule: 'cosine' as const,
    warmupEpochs: 1,
  };
  const straight = config('classifier', base);
  const straightModel = smallModel();
  await trainModel({ config: straight, model: straightModel, train: train(), validation: validation() });

  const split = config('classifier', base);
  const first = smallModel();
  const partial = await trainModel({
    config: split,
    model: first,
    train: train(),
    validation: validation(),
    stopAfterEpochs: 1,
  });
  assert.equal(partial.stopReason, 'interrupted');
  first.dispose();
  await assert.rejects(
    trainModel({ config: split, model: smallModel(), train: train(), validation: validation() }),
    (e: Error) => e instanceof ResumeError && /already holds a run.*--resume/.test(e.message),
  );
  const resumedModel = smallModel(99); // different initial weights: everything must come from the checkpoint
  const resumed = await trainModel({
    config: split,
    model: resumedModel,
    train: train(),
    validation: validation(),
    resume: true,
  });
  assert.equal(resumed.epochsRun, 1);
  assert.deepEqual(
    resumed.history.map((r) => r.epoch),
    [1, 2],
  );

  const a = await weightsOf(straight.out);
  const b = await weightsOf(split.out);
  assert.deepEqual([...a.keys()], [...b.keys()]);
  for (const [k, va] of a) {
    const vb = b.get(k)!;
    for (let i = 0; i < va.length; i++) assert.ok(Math.abs(va[i] - vb[i]) <= 1e-6, `${k}[${i}]: ${va[i]} vs ${vb[i]}`);
  }
  // The same optimizer state: restore both into fresh optimizers and compare the Adam moments.
  const moments = (run: string) => {
    const model = smallModel();
    const optimizer = makeOptimizer(split, model.parameters());
    restoreCheckpoint(run, readLastCheckpoint(run)!, model, optimizer);
    const { tensors, meta } = optimizer.stateDict();
    const values = new Map([...tensors].map(([k, t]) => [k, t.toFloat32Array()]));
    optimizer.dispose();
    model.dispose();
    return { values, meta };
  };
  const ma = moments(straight.out);
  const mb = moments(split.out);
  assert.deepEqual(mb.meta, ma.meta);
  for (const [k, v] of ma.values) {
    const w = mb.values.get(k)!;
    for (let i = 0; i < v.length; i++) assert.ok(Math.abs(v[i] - w[i]) <= 1e-6, `${k}[${i}]`);
  }
  straightModel.dispose();
  resumedModel.dispose();
  const csv = readFileSync(path.join(split.out, 'metrics.csv'), 'utf8').trim().split('\n');
  assert.deepEqual(
    csv.slice(1).map((l) => l.split(',')[0]),
    ['1', '2'],
  );
});

test('a crash between writing a checkpoint and committing it leaves the previous one valid and resumable', async () => {
  const items = tinyImages(16, SIZE, 7);
  const c = config('classifier', { epochs: 3, batchSize: 8 });
  let saves = 0;
  const model = smallModel();
  await assert.rejects(
    trainModel({
      config: c,
      model,
      train: memorySource(tinyBatches(items, 8, SIZE)),
      validation: memorySource(tinyBatches(items, 8, SIZE)),
      saveHooks: {
        beforeCommit: () => {
          if (++saves === 2) throw new Error('simulated crash');
        },
      },
    }),
    /simulated crash/,
  );
  const state = readLastCheckpoint(c.out)!;
  assert.equal(state.epoch, 1, 'the committed checkpoint is still epoch 1');
  const files = readdirSync(checkpointsFolder(c.out)).sort();
  assert.ok(files.includes('epoch-0001.safetensors') && files.includes('epoch-0001.optimizer.safetensors'));
  assert.ok(!files.some((f) => f.endsWith('.tmp')), `no temporary file left: ${files.join(', ')}`);
  assert.equal(JSON.parse(readFileSync(path.join(c.out, 'run.json'), 'utf8')).status, 'failed');
  const resumed = await trainModel({
    config: c,
    model: smallModel(5),
    train: memorySource(tinyBatches(items, 8, SIZE)),
    validation: memorySource(tinyBatches(items, 8, SIZE)),
    resume: true,
  });
  assert.deepEqual(
    resumed.history.map((r) => r.epoch),
    [1, 2, 3],
  );
  assert.ok(
    !existsSync(path.join(checkpointsFolder(c.out), 'epoch-0001.safetensors')),
    'older checkpoint files are removed once a newer one is committed',
  );
  model.dispose();
});

test('a non-finite loss stops the run with the epoch and step', async () => {
  const items = tinyImages(24, SIZE, 8);
  const batches = tinyBatches(items, 8, SIZE);
  batches[1].images[5] = NaN;
  const c = config('classifier', { epochs: 2, batchSize: 8, clipGradNorm: null });
  const model = smallModel();
  const before = torch.liveTensors();
  await assert.rejects(
    trainModel({ config: c, model, train: memorySource(batches), validation: memorySource(batches.slice(0, 1)) }),
    (e: Error) => e instanceof NonFiniteLossError && /non-finite loss \(NaN\) at epoch 1, step 2/.test(e.message),
  );
  assert.ok(torch.liveTensors() <= before + 0, 'no tensor leaks from the failed step');
  model.dispose();
});

/**
 * The small classifier validated on negatives only: the AUC is undefined, so no epoch ever improves
 * (early stopping fires, and keeping the best keeps nothing).
 */
async function trainWithUndefinedAuc(overrides: Partial<TrainConfig>, seed: number) {
  const c = config('classifier', { batchSize: 8, ...overrides });
  const model = smallModel();
  const result = await trainModel({
    config: c,
    model,
    train: memorySource(tinyBatches(tinyImages(16, SIZE, seed), 8, SIZE)),
    validation: memorySource(tinyBatches(tinyImages(8, SIZE, seed + 1, 0), 8, SIZE)),
  });
  return { c, model, result };
}

test('early stopping ends the run once the monitored metric has not improved for N epochs', async () => {
  const { c, model, result } = await trainWithUndefinedAuc({ epochs: 6, earlyStopping: 2 }, 9);
  assert.equal(result.stopReason, 'early-stopping');
  assert.equal(result.history.length, 2);
  assert.equal(result.best, null);
  assert.equal(result.history[0].validation.auc, null);
  assert.equal(JSON.parse(readFileSync(path.join(c.out, 'run.json'), 'utf8')).stopReason, 'early-stopping');
  model.dispose();
});

test("keepWeights last hands on the last epoch's weights even when no epoch was ever the best", async () => {
  for (const keepWeights of ['best', 'last'] as const) {
    const { c, model, result } = await trainWithUndefinedAuc({ epochs: 3, keepWeights }, 13);
    assert.equal(result.best, null);
    const run = JSON.parse(readFileSync(path.join(c.out, 'run.json'), 'utf8'));
    if (keepWeights === 'best') {
      assert.equal(result.kept, null);
      assert.equal(existsSync(bestWeightsFile(c.out)), false);
    } else {
      assert.deepEqual(result.kept, { epoch: 3, value: null, rule: 'last' });
      assert.equal(run.kept.epoch, 3);
      assert.equal(run.kept.rule, 'last');
      torch.scope(() => {
        const { tensors, metadata } = loadSafetensorsWithMetadata(bestWeightsFile(c.out));
        assert.equal(metadata.epoch, '3');
        assert.equal(metadata.kept, 'last');
        for (const [name, t] of model.stateDict()) {
          const saved = tensors.get(name);
          assert.ok(saved, `${name} saved`);
          assert.deepEqual([...saved.toFloat32Array()], [...t.float().toFloat32Array()], `${name} is the final value`);
        }
      });
    }
    model.dispose();
  }
});

test('validateEvery validates every n-th epoch and the last, and trains exactly as validating every epoch', async () => {
  const items = tinyImages(24, SIZE, 15);
  const heldOut = tinyImages(8, SIZE, 16);
  const weights: Map<string, number[]>[] = [];
  for (const validateEvery of [1, 2]) {
    const c = config('classifier', { epochs: 5, batchSize: 8, validateEvery, lr: 3e-3 });
    const model = smallModel();
    const result = await trainModel({
      config: c,
      model,
      train: memorySource(shuffledBatches(items, 8, SIZE, 5)),
      validation: memorySource(tinyBatches(heldOut, 8, SIZE)),
    });
    const validatedEpochs = result.history.filter((r) => r.validation.loss !== null).map((r) => r.epoch);
    assert.deepEqual(validatedEpochs, validateEvery === 1 ? [1, 2, 3, 4, 5] : [2, 4, 5]);
    if (validateEvery === 2) {
      assert.ok(result.best === null || [2, 4, 5].includes(result.best.epoch), 'only a validated epoch is the best');
      const csv = readFileSync(path.join(c.out, 'metrics.csv'), 'utf8').trim().split('\n');
      const column = csv[0].split(',').indexOf('val_loss');
      assert.deepEqual(
        csv.slice(1).map((line) => line.split(',')[column] !== ''),
        [false, true, false, true, true],
      );
    }
    weights.push(new Map([...model.stateDict()].map(([k, t]) => [k, [...t.float().toFloat32Array()]])));
    model.dispose();
  }
  for (const [name, values] of weights[0]) assert.deepEqual(weights[1].get(name), values, `${name} differs`);
});

test('a frozen encoder stays as it is until --unfreeze-after, then trains', async () => {
  const items = tinyImages(16, SIZE, 12);
  torch.manualSeed(3);
  const model = createModel('classifier-resnet18-w16');
  const snapshot = () =>
    new Map(
      [...model.stateDict()]
        .filter(([k]) => k.startsWith('encoder.') && !k.includes('running_') && !k.includes('num_batches'))
        .map(([k, t]) => [k, t.toFloat32Array()]),
    );
  const changed = (a: Map<string, Float32Array>, b: Map<string, Float32Array>) =>
    [...a].filter(([k, v]) => v.some((x, i) => x !== b.get(k)![i])).length;
  const initial = snapshot();
  const c = config('classifier', { epochs: 1, batchSize: 8, freezeEncoder: true, unfreezeAfter: 1 });
  const train = () => memorySource(tinyBatches(items, 8, SIZE));
  const first = await trainModel({ config: c, model, train: train(), validation: train() });
  assert.equal(first.history[0].encoderFrozen, true);
  const afterFrozen = snapshot();
  assert.equal(changed(initial, afterFrozen), 0, 'no encoder weight (nor batch-norm statistic) moved while frozen');
  const second = await trainModel({
    config: { ...c, epochs: 2 },
    model,
    train: train(),
    validation: train(),
    resume: true,
  });
  assert.equal(second.history[1].encoderFrozen, false);
  assert.ok(changed(afterFrozen, snapshot()) > 10, 'the encoder trains once unfrozen');
  model.dispose();
});
