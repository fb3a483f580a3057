// Losses against PyTorch golden values (losses_reference.py: torch, torchvision's focal loss and Berman
// et al.'s Lovasz hinge), autograd against central finite differences in float64, and a few values
// computed by hand.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as torch from '../../../src/torch/index.js';
import {
  bceWithLogitsLoss,
  comboLoss,
  focalLoss,
  lovaszHingeLoss,
  makeLoss,
  softDiceLoss,
  symmetricLovaszLoss,
  LossError,
  type LossFn,
} from '../../../src/train/losses/index.js';
import { assertClose } from '../../torch/helpers.js';

interface Golden {
  shape: number[];
  logits: number[];
  targets: number[];
  cases: Record<string, { value: number; grad: number[] }>;
}
const golden = JSON.parse(
  readFileSync(new URL('../../../../test/train/losses/losses-reference.json', import.meta.url), 'utf8'),
) as Golden;

const CASES: Record<string, LossFn> = {
  bce: (x, t) => bceWithLogitsLoss(x, t),
  bce_pos_weight_3: (x, t) => bceWithLogitsLoss(x, t, { posWeight: 3 }),
  dice_smooth_1: (x, t) => softDiceLoss(x, t),
  'dice_smooth_0.01': (x, t) => softDiceLoss(x, t, { smooth: 0.01 }),
  'focal_a0.25_g2': (x, t) => focalLoss(x, t),
  'focal_a-1_g1.5': (x, t) => focalLoss(x, t, { alpha: -1, gamma: 1.5 }),
  lovasz_hinge: lovaszHingeLoss,
  symmetric_lovasz: symmetricLovaszLoss,
  'bce_dice_w0.5_1': (x, t) => comboLoss(x, t, { bce: 0.5, dice: 1 }),
  bce_dice_focal_1_1_2: (x, t) => comboLoss(x, t, { bce: 1, dice: 1, focal: 2 }),
};

test('every loss matches PyTorch in value and gradient, in float64 and float32', () => {
  assert.deepEqual(Object.keys(CASES).sort(), Object.keys(golden.cases).sort());
  for (const dtype of ['float64', 'float32'] as const) {
    const tolerance = dtype === 'float64' ? 1e-10 : 1e-5;
    const before = torch.liveTensors();
    for (const [name, fn] of Object.entries(CASES)) {
      torch.scope(() => {
        const x = torch.tensor(Float64Array.from(golden.logits), golden.shape, dtype).requiresGrad_();
        const t = torch.tensor(Float64Array.from(golden.targets), golden.shape, dtype);
        const loss = fn(x, t);
        assert.deepEqual(loss.shape, [], `${name}: scalar`);
        assertClose([loss.item()], [golden.cases[name].value], tolerance, `${name} value (${dtype})`);
        loss.backward();
        assertClose(
          Array.from(x.grad!.toFloat32Array()),
          golden.cases[name].grad,
          dtype === 'float64' ? 1e-6 : 1e-4,
          `${name} grad (${dtype})`,
        );
      });
    }
    assert.equal(torch.liveTensors(), before, 'no tensor leaks');
  }
});

function finiteDifferenceCheck(name: string, fn: LossFn): void {
  torch.scope(() => {
    torch.manualSeed(11);
    const shape = [2, 1, 3, 3];
    const x = torch.randn(shape, { dtype: 'float64' }).mul(1.5).detach().requiresGrad_();
    const t = torch.tensor(Float64Array.from([1, 1, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1, 0, 1, 1, 0, 1, 1]), shape);
    fn(x, t).backward();
    const analytic = x.grad!.data() as Float64Array;
    const base = x.detach().data() as Float64Array;
    const eps = 1e-6;
    for (let i = 0; i < base.length; i++) {
      const at = (delta: number) =>
        torch.scope(() =>
          torch.noGrad(() => {
            const shifted = Float64Array.from(base);
            shifted[i] += delta;
            return fn(torch.tensor(shifted, shape), t).item();
          }),
        );
      const numeric = (at(eps) - at(-eps)) / (2 * eps);
      assert.ok(
        Math.abs(numeric - analytic[i]) <= 1e-6 * Math.max(1, Math.abs(numeric)),
        `${name}: d/dx[${i}] autograd ${analytic[i]} vs numeric ${numeric}`,
      );
    }
  });
}

test('gradients equal central finite differences (float64)', () => {
  for (const [name, fn] of Object.entries(CASES)) finiteDifferenceCheck(name, fn);
});

test('hand-computed values', () =>
  torch.scope(() => {
    const zeros = torch.zeros([1, 1, 1, 2], { dtype: 'float64' });
    const t = torch.tensor(Float64Array.from([1, 0]), [1, 1, 1, 2]);
    // p = 0.5 everywhere: BCE = ln 2; Dice = (2 * 0.5 + 1) / (1 + 1 + 1) = 2/3, loss 1/3.
    assertClose([bceWithLogitsLoss(zeros, t).item()], [Math.LN2], 1e-12);
    assertClose([softDiceLoss(zeros, t).item()], [1 / 3], 1e-12);
    // pos_weight 3: (3 ln 2 + ln 2) / 2 = 2 ln 2.
    assertClose([bceWithLogitsLoss(zeros, t, { posWeight: 3 }).item()], [2 * Math.LN2], 1e-12);
    // focal, gamma 2, alpha 0.25: each pixel ln2 * 0.25 * weight; weights 0.25 and 0.75 -> ln2 * 0.25 * 0.5.
    assertClose([focalLoss(zeros, t).item()], [Math.LN2 * 0.25 * 0.5], 1e-12);
    // Lovasz on zero logits: both errors are 1, so either sorted order gives loss 1: truth [1, 0] gives
    // jaccard [1, 1] -> grad [1, 0]; truth [0, 1] gives jaccard [1/2, 1] -> grad [1/2, 1/2].
    assertClose([lovaszHingeLoss(zeros, t).item()], [1], 1e-12);
    // A confident correct prediction (margin beyond 1) costs nothing under the hinge.
    const sure = torch.tensor(Float64Array.from([3, -3]), [1, 1, 1, 2]);
    assert.equal(symmetricLovaszLoss(sure, t).item(), 0);
  }));

test('wrong shapes and names are clear errors', () =>
  torch.scope(() => {
    assert.throws(
      () => softDiceLoss(torch.zeros([2, 1, 4, 4]), torch.zeros([2, 1, 4, 3])),
      (e: Error) => e instanceof LossError && /\[2, 1, 4, 4\].*\[2, 1, 4, 3\]/.test(e.message),
    );
    assert.throws(() => makeLoss({ name: 'dcie' as never }), /Wrong loss name `dcie`, supported losses: bce, dice/);
    const x = torch.tensor(Float64Array.from(golden.logits), golden.shape);
    const t = torch.tensor(Float64Array.from(golden.targets), golden.shape);
    assertClose(
      [makeLoss({ name: 'bce-dice-focal', weights: { focal: 2 } })(x, t).item()],
      [golden.cases['bce_dice_focal_1_1_2'].value],
      1e-10,
    );
    assertClose([makeLoss({ name: 'lovasz' })(x, t).item()], [golden.cases.symmetric_lovasz.value], 1e-10);
  }));
