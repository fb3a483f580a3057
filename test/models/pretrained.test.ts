// Loading pretrained weights: first-conv adaptation values, the classifier head left out, DenseNet's
// legacy key names, and errors that name the file and list the keys.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import * as torch from '../../src/torch/index.js';
import { nn } from '../../src/torch/index.js';
import { createEncoder } from '../../src/models/encoders.js';
import { adaptFirstConv, loadEncoderWeights, loadPretrained } from '../../src/models/pretrained.js';
import { createClassifier, createSegmenter } from '../../src/models/registry.js';

const dir = mkdtempSync(path.join(tmpdir(), 'pneumo-pretrained-'));
after(() => rmSync(dir, { recursive: true, force: true }));

test('a 3-channel first conv becomes the channel sum for 1 channel, and cycles scaled by 3/C for more', () => {
  torch.scope(() => {
    // weight[o][c][0][0] = 10 * o + c + 1 for two filters of 1x1 over RGB
    const weight = torch.tensor([1, 2, 3, 11, 12, 13], [2, 3, 1, 1]);
    const summed = adaptFirstConv(weight, 1);
    assert.deepEqual(summed.shape, [2, 1, 1, 1]);
    assert.deepEqual(summed.toArray(), [[[[6]]], [[[36]]]]);
    const five = adaptFirstConv(weight, 5);
    assert.deepEqual(five.shape, [2, 5, 1, 1]);
    const expected = [1, 2, 3, 1, 2, 11, 12, 13, 11, 12].map((v) => (v * 3) / 5);
    const actual = Array.from(five.toFloat32Array());
    actual.forEach((v, i) => assert.ok(Math.abs(v - expected[i]) < 1e-5, `${i}: ${v} vs ${expected[i]}`));
  });
});

function saveEncoderFile(
  name: string,
  encoder: nn.Module,
  extra: Map<string, torch.Tensor> = new Map(),
  drop: string[] = [],
): string {
  const file = path.join(dir, name);
  const entries = new Map([...encoder.stateDict(), ...extra]);
  for (const key of drop) entries.delete(key);
  torch.saveSafetensors(file, entries);
  return file;
}

test('a U-Net takes an ImageNet-style file into its encoder: fc.* left out, 3-channel conv1 summed', async () => {
  const live = torch.liveTensors();
  const source = createEncoder('resnet18-w16', { inChannels: 3, withClassifier: true });
  const file = saveEncoderFile('w16.safetensors', source);
  const unet = createSegmenter('unet-resnet18-w16');
  try {
    const report = await loadPretrained(unet, file);
    assert.deepEqual(report.dropped, ['fc.bias', 'fc.weight']); // in the file's order: safetensors sorts by name
    assert.equal(report.firstConv, 'summed');
    assert.equal(report.loaded, unet.encoder.stateDict().size);
    const copied = unet.encoder.stateDict().get('layer3.1.bn2.running_var')!.toFloat32Array();
    assert.deepEqual(copied, source.stateDict().get('layer3.1.bn2.running_var')!.toFloat32Array());
    const summed = torch.scope(() => torch.sum(source.stateDict().get('conv1.weight')!, 1, true).toFloat32Array());
    assert.deepEqual(unet.encoder.stateDict().get('conv1.weight')!.toFloat32Array(), summed);
  } finally {
    source.dispose();
    unet.dispose();
  }
  assert.equal(torch.liveTensors(), live);
});

test('missing, unexpected and mis-shaped keys fail with a StateDictError naming the file and listing them', async () => {
  const source = createEncoder('resnet18-w16', { inChannels: 3 });
  const target = createEncoder('resnet18-w16', { inChannels: 1 });
  const stray = new Map([['layer9.weight', torch.zeros([2]).keep()]]);
  const file = saveEncoderFile('broken.safetensors', source, stray, ['layer1.0.bn1.bias']);
  const wide = createEncoder('resnet18', { inChannels: 3 });
  const wideFile = saveEncoderFile('wide.safetensors', wide);
  try {
    await assert.rejects(loadPretrained(target, file), (err: Error) => {
      assert.ok(err instanceof nn.StateDictError);
      assert.deepEqual(err.missing, ['layer1.0.bn1.bias']);
      assert.deepEqual(err.unexpected, ['layer9.weight']);
      assert.match(
        err.message,
        /broken\.safetensors do not fit resnet18-w16: .*missing keys \(1\): layer1\.0\.bn1\.bias.*unexpected keys \(1\): layer9\.weight/,
      );
      return true;
    });
    await assert.rejects(loadPretrained(target, wideFile), (err: Error) => {
      assert.ok(err instanceof nn.StateDictError);
      assert.ok(
        err.misshaped.some((k) => k.startsWith('bn1.weight (model [16], file [64])')),
        err.message,
      );
      return true;
    });
  } finally {
    for (const m of [source, target, wide]) m.dispose();
    stray.get('layer9.weight')!.dispose();
  }
});

test('unreadable and corrupt files fail with a one-line SafetensorsError naming the file', async () => {
  const encoder = createEncoder('resnet18-w16');
  const truncated = path.join(dir, 'truncated.safetensors');
  torch.saveSafetensors(truncated, encoder.stateDict());
  const dataBytes = statSync(truncated).size - torch.readSafetensorsHeader(truncated).dataStart;
  truncateSync(truncated, statSync(truncated).size - 1000);
  const garbage = path.join(dir, 'garbage.safetensors');
  writeFileSync(garbage, Buffer.concat([Buffer.from([16, 0, 0, 0, 0, 0, 0, 0]), Buffer.from('{"a": not json }')]));
  try {
    const cases: [string, RegExp][] = [
      [path.join(dir, 'absent.safetensors'), /absent\.safetensors: cannot open \(no such file or folder\)/],
      [
        truncated,
        new RegExp(
          `truncated\\.safetensors: the tensors cover ${dataBytes} data bytes but the file holds ${dataBytes - 1000} \\(truncated or padded file\\)`,
        ),
      ],
      [garbage, /garbage\.safetensors: header is not valid JSON/],
    ];
    for (const [file, message] of cases) {
      await assert.rejects(
        loadPretrained(encoder, file),
        (err: Error) =>
          err instanceof torch.SafetensorsError && message.test(err.message) && !err.message.includes('\n'),
      );
    }
  } finally {
    encoder.dispose();
  }
});

test('DenseNet: legacy `norm.1`-style keys of old torchvision checkpoints load under their new names', () => {
  const source = createEncoder('densenet121', { inChannels: 3, withClassifier: true });
  const target = createEncoder('densenet121', { inChannels: 3 });
  try {
    assert.equal(
      target.remapKey('features.denseblock2.denselayer11.norm.2.running_var'),
      'features.denseblock2.denselayer11.norm2.running_var',
    );
    assert.equal(
      target.remapKey('features.denseblock1.denselayer1.conv.1.weight'),
      'features.denseblock1.denselayer1.conv1.weight',
    );
    assert.equal(target.remapKey('features.transition1.norm.weight'), 'features.transition1.norm.weight');
    // Checkpoints of that age have no num_batches_tracked; PyTorch starts those counters at 0.
    const legacy = new Map(
      [...source.stateDict()]
        .filter(([k]) => !k.endsWith('num_batches_tracked'))
        .map(([k, t]) => [k.replace(/(denselayer\d+\.(?:norm|conv))([12])\./, '$1.$2.'), t]),
    );
    assert.ok(legacy.has('features.denseblock4.denselayer16.norm.2.weight'));
    torch.noGrad(() => torch.add_(target.stateDict().get('features.norm0.num_batches_tracked')!, 5));
    const report = loadEncoderWeights(target, legacy, 'legacy');
    assert.equal(report.remapped, 58 * 2 * 4 + 58 * 2);
    assert.deepEqual(report.dropped, ['classifier.weight', 'classifier.bias']);
    assert.equal(target.stateDict().get('features.norm0.num_batches_tracked')!.item(), 0);
    const key = 'features.denseblock3.denselayer7.conv2.weight';
    assert.deepEqual(target.stateDict().get(key)!.toFloat32Array(), source.stateDict().get(key)!.toFloat32Array());
  } finally {
    source.dispose();
    target.dispose();
  }
});

test("a trained U-Net's whole checkpoint gives its encoder to a classifier (transfer from the segmenter)", () => {
  torch.manualSeed(11);
  const unet = createSegmenter('unet-resnet18-w16');
  const classifier = createClassifier('classifier-resnet18-w16');
  const report = loadEncoderWeights(classifier.encoder, unet.stateDict(), 'segmenter run');
  assert.ok(report.dropped.length > 0 && report.dropped.every((k) => !k.startsWith('encoder.')));
  assert.ok(report.dropped.some((k) => k.startsWith('decoder.')));
  for (const [key, value] of classifier.encoder.stateDict())
    assert.deepEqual(value.toArray(), unet.stateDict().get(`encoder.${key}`)!.toArray(), key);
  unet.dispose();
  classifier.dispose();
});

test('a U-Net continues from a trained U-Net whole: decoder and mask head too, and a classifier takes only the encoder', async () => {
  torch.manualSeed(11);
  const trained = createSegmenter('unet-resnet18-w16');
  const file = saveEncoderFile('unet.safetensors', trained);
  torch.manualSeed(12);
  const fresh = createSegmenter('unet-resnet18-w16', { peakLogit: true });
  const classifier = createClassifier('classifier-resnet18-w16');
  try {
    const report = await loadPretrained(fresh, file);
    assert.equal(report.loaded, fresh.encoder.stateDict().size);
    const outside = [...fresh.stateDict().keys()].filter((k) => !k.startsWith('encoder.'));
    assert.equal(report.beyondEncoder, outside.length);
    for (const key of ['decoder.blocks.4.conv2.0.weight', 'segmentation_head.0.bias'])
      assert.deepEqual(fresh.stateDict().get(key)!.toFloat32Array(), trained.stateDict().get(key)!.toFloat32Array());
    const fromSegmenter = await loadPretrained(classifier, file);
    assert.equal(fromSegmenter.beyondEncoder ?? 0, 0);
  } finally {
    trained.dispose();
    fresh.dispose();
    classifier.dispose();
  }
});
