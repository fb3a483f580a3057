// Pretrained weights from torch.save files written by Debian's torch 1.13 (test/torch/golden/
// checkpoint_reference.py): torchvision's resnet34 and densenet121 state dicts, and a whole pickled
// torchxrayvision-style DenseNet (zip and legacy format), load by name and give torchvision's logits;
// wrapper prefixes (DataParallel's `module.`, a wrapping model's `model.`) come off.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import * as torch from '../../src/torch/index.js';
import { createEncoder } from '../../src/models/encoders.js';
import { loadEncoderWeights, loadPretrained } from '../../src/models/pretrained.js';
import { createSegmenter } from '../../src/models/registry.js';
import { assertClose } from '../torch/helpers.js';
import { runPython } from '../../bench/support/python.js';

const TOLERANCE = 1e-4;
let dir = '';
before(() => {
  torch.setNumThreads(2);
  dir = mkdtempSync(path.join(tmpdir(), 'pneumo-pretrained-checkpoint-'));
  runPython('test/torch/golden/checkpoint_reference.py', 'models', dir);
});
after(() => rmSync(dir, { recursive: true, force: true }));

function assertLogits(encoder: ReturnType<typeof createEncoder>, io: string, label: string): void {
  const golden = torch.loadSafetensors(path.join(dir, io));
  try {
    torch.noGrad(() =>
      torch.scope(() => {
        const logits = encoder.forward(golden.get('input')!);
        assert.deepEqual(logits.shape, golden.get('logits')!.shape);
        assertClose(logits.toFloat32Array(), golden.get('logits')!.toFloat32Array(), TOLERANCE, label);
      }),
    );
  } finally {
    golden.forEach((t) => t.dispose());
  }
}

for (const arch of ['resnet34', 'densenet121'])
  test(`${arch}: torchvision's state dict saved by torch.save loads and gives torchvision's logits`, async () => {
    const live = torch.liveTensors();
    const encoder = createEncoder(arch, { inChannels: 3, withClassifier: true }).eval();
    try {
      const report = await loadPretrained(encoder, path.join(dir, `${arch}.pth`));
      assert.equal(report.format, 'zip');
      assert.equal(report.layout, 'state-dict');
      assert.equal(report.loaded, encoder.stateDict().size);
      assert.deepEqual(report.dropped, []);
      assertLogits(encoder, `${arch}.io.safetensors`, arch);
    } finally {
      encoder.dispose();
    }
    assert.equal(torch.liveTensors(), live);
  });

for (const [file, format] of [
  ['module.pt', 'zip'],
  ['module-legacy.pt', 'legacy'],
] as const)
  test(`${file}: a whole pickled torchxrayvision-style DenseNet (1 channel, 18 classes) gives its logits`, async () => {
    const encoder = createEncoder('densenet121', { inChannels: 1, withClassifier: true, numClasses: 18 }).eval();
    try {
      const report = await loadPretrained(encoder, path.join(dir, file));
      assert.equal(report.format, format);
      assert.equal(report.layout, 'module');
      assert.deepEqual(report.dropped, ['op_threshs']);
      assert.equal(report.firstConv, 'as-is');
      assertLogits(encoder, 'module.io.safetensors', file);
    } finally {
      encoder.dispose();
    }
  });

test('a U-Net takes the torchxrayvision-style module into its encoder, leaving out the head and op_threshs', async () => {
  const unet = createSegmenter('unet-densenet121');
  try {
    const report = await loadPretrained(unet, path.join(dir, 'module.pt'));
    assert.deepEqual(report.dropped, ['op_threshs', 'classifier.weight', 'classifier.bias']);
    assert.equal(report.loaded, unet.encoder.stateDict().size);
  } finally {
    unet.dispose();
  }
});

test("DataParallel's `module.` and a wrapping model's `model.` come off; other keys of the wrapper are left out", () => {
  const source = createEncoder('resnet18-w16', { inChannels: 1, withClassifier: true });
  const target = createEncoder('resnet18-w16', { inChannels: 1 });
  try {
    const extra = torch.zeros([3]);
    for (const [prefix, taken] of [
      ['module.', 'module.'],
      ['module.model.', 'module.model.'],
      ['backbone.', 'backbone.'],
    ]) {
      const wrapped = new Map([...source.stateDict()].map(([k, t]) => [prefix + k, t]));
      wrapped.set('module.head.weight', extra);
      if (prefix === 'module.') wrapped.delete('module.head.weight');
      const report = loadEncoderWeights(target, wrapped, prefix);
      assert.equal(report.prefix, taken);
      assert.deepEqual(report.dropped, [
        ...(prefix === 'module.' ? [] : ['module.head.weight']),
        `${prefix}fc.weight`,
        `${prefix}fc.bias`,
      ]);
      const key = 'layer2.1.conv2.weight';
      assert.deepEqual(target.stateDict().get(key)!.toFloat32Array(), source.stateDict().get(key)!.toFloat32Array());
    }
    extra.dispose();
  } finally {
    source.dispose();
    target.dispose();
  }
});
