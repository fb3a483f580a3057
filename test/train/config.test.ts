// The training config: defaults per task, a YAML or JSON file over them, flags over the file, and
// clear errors for unknown keys, wrong types and unreadable files.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ConfigError, defaultConfig, readConfigFile, resolveTrainConfig } from '../../src/train/config.js';

const folder = mkdtempSync(path.join(tmpdir(), 'pneumo-config-'));
test.after(() => rmSync(folder, { recursive: true, force: true }));

test('defaults differ by task where they should', () => {
  const c = defaultConfig('classifier');
  const s = defaultConfig('segmenter');
  assert.equal(c.monitor, 'auc');
  assert.equal(s.monitor, 'dice');
  assert.deepEqual(c.loss, { name: 'bce' });
  assert.deepEqual(s.loss, { name: 'bce-dice' });
  assert.equal(s.positiveFraction, null);
  assert.equal(c.keepWeights, 'best');
});

test('a YAML file overrides the defaults and flags override the file', () => {
  const file = path.join(folder, 'seg.yaml');
  writeFileSync(
    file,
    'epochs: 7\nlr: 0.01\nloss: lovasz\nmodelOptions:\n  auxHead: true\naugment: null\nbatchSize: 4\n',
  );
  const config = resolveTrainConfig(
    'segmenter',
    readConfigFile(file),
    { data: 'd', out: 'o', lr: 0.002, epochs: undefined },
    file,
  );
  assert.equal(config.epochs, 7, 'from the file');
  assert.equal(config.lr, 0.002, 'the flag wins');
  assert.equal(config.batchSize, 4);
  assert.deepEqual(config.loss, { name: 'lovasz' }, 'a bare loss name becomes a loss config');
  assert.deepEqual(config.modelOptions, { auxHead: true });
  assert.equal(config.augment, null);
  assert.equal(config.size, 256, 'untouched default');
});

test('a JSON file reads the same way', () => {
  const file = path.join(folder, 'cls.json');
  writeFileSync(
    file,
    JSON.stringify({ model: 'classifier-resnet18-w16', monitor: 'recall', freezeEncoder: true, unfreezeAfter: 2 }),
  );
  const config = resolveTrainConfig('classifier', readConfigFile(file), { data: 'd', out: 'o' });
  assert.equal(config.model, 'classifier-resnet18-w16');
  assert.equal(config.monitor, 'recall');
  assert.equal(config.unfreezeAfter, 2);
});

test('unknown keys, wrong values, a wrong task and bad files are errors naming the problem', () => {
  const base = { data: 'd', out: 'o' };
  assert.throws(
    () => resolveTrainConfig('classifier', { epoch: 3 }, base, 'x.yaml'),
    (e: Error) => e instanceof ConfigError && /x\.yaml: unknown setting epoch \(known: task, data/.test(e.message),
  );
  assert.throws(
    () => resolveTrainConfig('classifier', { monitor: 'dice' }, base),
    /expected for a classifier one of auc, recall, f1, loss for monitor but received "dice"/,
  );
  assert.throws(
    () => resolveTrainConfig('classifier', { validateEvery: 0 }, base),
    /positive integer for validateEvery/,
  );
  assert.throws(
    () => resolveTrainConfig('classifier', { keepWeights: 'final' }, base),
    /keepWeights but received "final"/,
  );
  assert.throws(
    () => resolveTrainConfig('segmenter', { size: 100 }, base),
    /multiple of 32 .* for size but received 100/,
  );
  assert.throws(() => resolveTrainConfig('segmenter', { task: 'classifier' }, base), /trains a segmenter/);
  assert.deepEqual(
    resolveTrainConfig('segmenter', { smallMaskSampling: { belowFraction: 0.004, factor: 3 } }, base).smallMaskSampling,
    { belowFraction: 0.004, factor: 3 },
  );
  for (const bad of [
    { belowFraction: 0, factor: 3 },
    { belowFraction: 0.004 },
    { belowFraction: 0.004, factor: 3, x: 1 },
  ])
    assert.throws(
      () => resolveTrainConfig('segmenter', { smallMaskSampling: bad }, base),
      /\{ belowFraction: a fraction in \(0, 1\], factor: a number >= 0 \} or null for smallMaskSampling/,
    );
  assert.throws(
    () => resolveTrainConfig('segmenter', { loss: 'dcie' }, base),
    /for loss but received \{"name":"dcie"\}/,
  );
  assert.throws(() => resolveTrainConfig('segmenter', {}, { out: 'o' }), /the dataset folder \(--data\) for data/);
  const broken = path.join(folder, 'broken.json');
  writeFileSync(broken, '{"epochs": 3,');
  assert.throws(() => readConfigFile(broken), /broken\.json: not valid JSON/);
  assert.throws(
    () => readConfigFile(path.join(folder, 'absent.yaml')),
    /absent\.yaml: cannot read it \(no such file or folder\)/,
  );
  const list = path.join(folder, 'list.yaml');
  writeFileSync(list, '- 1\n- 2\n');
  assert.throws(() => readConfigFile(list), /expected a mapping/);
});
