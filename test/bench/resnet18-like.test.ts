import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import * as torch from '../../src/torch/index.js';
import { ResNet18Like } from '../../bench/resnet18-like.js';
import { runPython } from '../../bench/support/python.js';
import { assertClose } from '../torch/helpers.js';

test("the benchmark's ResNet-18 is torchvision's: its weights load by name and give the same outputs", () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'pneumo-resnet18-'));
  const model = new ResNet18Like(3);
  try {
    const file = path.join(dir, 'resnet18.safetensors');
    runPython('test/bench/resnet18_reference.py', file);
    torch.scope(() => {
      const all = torch.loadSafetensors(file);
      const weights = new Map([...all].filter(([k]) => !/^(input|out\.|after_train\.)/.test(k)));
      assert.equal(weights.size, 122); // torchvision's resnet18 state dict: 62 parameters, 60 buffers
      model.loadStateDict(weights); // strict: every name and shape matches
      const x = all.get('input')!;
      torch.noGrad(() => {
        assertClose(
          model.eval().forward(x).toFloat32Array(),
          all.get('out.eval')!.toFloat32Array(),
          1e-4,
          'eval output',
        );
        assertClose(
          model.train().forward(x).toFloat32Array(),
          all.get('out.train')!.toFloat32Array(),
          1e-4,
          'train output',
        );
      });
      const state = model.stateDict();
      for (const [k, v] of all)
        if (k.startsWith('after_train.'))
          assertClose(state.get(k.slice('after_train.'.length))!.toFloat32Array(), v.toFloat32Array(), 1e-5, k);
    });
  } finally {
    model.dispose();
    rmSync(dir, { recursive: true, force: true });
  }
});
