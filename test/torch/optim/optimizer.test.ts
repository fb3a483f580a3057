import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import * as torch from '../../../src/torch/index.js';
import { optim, type Tensor } from '../../../src/torch/index.js';
import { assertClose } from '../helpers.js';
import { pythonJson } from '../../../bench/support/python.js';

interface Problem {
  w: number[][];
  b: number[];
  x: number[][];
  y: number[][];
  unused: number[];
  frozen: number[];
}
type Values = Record<string, number[]>;
interface Reference {
  kind: 'SGD' | 'Adam' | 'AdamW';
  options: Record<string, unknown>;
  groups?: ({ names: string[] } & Record<string, unknown>)[];
  clip?: { max_norm: number; norm_type: number | 'inf' };
  trajectory: Values[];
  norms: number[];
}
interface Golden {
  problem: Problem;
  steps: number;
  results: Record<string, Reference>;
}

const golden = pythonJson<Golden>('test/torch/golden/optim_reference.py');

const camel = (o: Record<string, unknown>) =>
  Object.fromEntries(Object.entries(o).map(([k, v]) => [k.replace(/_(.)/g, (_, c: string) => c.toUpperCase()), v]));

class Fixture {
  readonly params: Record<string, Tensor>;
  readonly x: Tensor;
  readonly y: Tensor;

  constructor(p: Problem, start?: Values) {
    // The problem's values, or the values a run reached (to resume from them).
    const value = (name: string, initial: number[][] | number[]) => {
      const shape = Array.isArray(initial[0]) ? [initial.length, (initial[0] as number[]).length] : [initial.length];
      return torch.tensor(start ? start[name] : initial.flat(), shape);
    };
    this.params = {
      w: value('w', p.w).requiresGrad_().keep(),
      b: value('b', p.b).requiresGrad_().keep(),
      unused: value('unused', p.unused).requiresGrad_().keep(),
      frozen: value('frozen', p.frozen).keep(),
    };
    this.x = torch.tensor(p.x.flat(), [p.x.length, 4]).keep();
    this.y = torch.tensor(p.y.flat(), [p.y.length, 3]).keep();
  }

  /** Forward and backward of mean((tanh(x w^T + b) - y)^2), as the reference script computes it. */
  backward(): void {
    torch.scope(() => {
      const { w, b } = this.params;
      const out = torch.tanh(torch.add(torch.matmul(this.x, w.transpose(0, 1)), b));
      torch.pow(torch.sub(out, this.y), 2).mean().backward();
    });
  }

  values(): Values {
    return Object.fromEntries(Object.entries(this.params).map(([k, t]) => [k, [...t.toFloat32Array()]]));
  }

  dispose(): void {
    for (const t of [...Object.values(this.params), this.x, this.y]) t.dispose();
  }
}

function makeOptimizer(ref: Reference, fixture: Fixture): optim.Optimizer {
  const options = camel(ref.options);
  const params = ref.groups
    ? ref.groups.map(({ names, ...rest }) => ({ params: names.map((n) => fixture.params[n]), ...camel(rest) }))
    : Object.values(fixture.params);
  if (ref.kind === 'SGD') return new optim.SGD(params as Tensor[], options as optim.SGDOptions);
  const Kind = ref.kind === 'Adam' ? optim.Adam : optim.AdamW;
  return new Kind(params as Tensor[], options);
}

function trainStep(opt: optim.Optimizer, fixture: Fixture, ref: Reference): number | undefined {
  opt.zeroGrad();
  fixture.backward();
  let norm: number | undefined;
  if (ref.clip) {
    const normType = ref.clip.norm_type === 'inf' ? Infinity : ref.clip.norm_type;
    norm = optim.clipGradNorm(Object.values(fixture.params), ref.clip.max_norm, { normType });
  }
  opt.step();
  return norm;
}

for (const [name, ref] of Object.entries(golden.results)) {
  test(`${name}: ${golden.steps} steps match torch.optim.${ref.kind} to 1e-6`, () => {
    const fixture = new Fixture(golden.problem);
    const opt = makeOptimizer(ref, fixture);
    const norms: number[] = [];
    ref.trajectory.forEach((expected, step) => {
      const norm = trainStep(opt, fixture, ref);
      if (norm !== undefined) norms.push(norm);
      const actual = fixture.values();
      for (const key of Object.keys(expected))
        assertClose(actual[key], expected[key], 1e-6, `${name} step ${step + 1} ${key}`);
    });
    assertClose(norms, ref.norms, 1e-6, `${name} clip_grad_norm_ results`);
    // Not a tautology: the parameters that have gradients did move.
    assert.notDeepEqual(fixture.values().w, golden.problem.w.flat());
    opt.dispose();
    fixture.dispose();
  });
}

test('state saved mid-run and loaded into a fresh optimizer continues the identical trajectory', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'pneumo-optim-'));
  const live = torch.liveTensors();
  try {
    for (const name of ['sgd_momentum_dampening_wd', 'adam_wd_amsgrad', 'adam_groups']) {
      const ref = golden.results[name];
      const straight = new Fixture(golden.problem);
      const straightOpt = makeOptimizer(ref, straight);
      for (let i = 0; i < 3; i++) trainStep(straightOpt, straight, ref);
      const file = path.join(dir, `${name}.safetensors`);
      optim.saveOptimizerState(file, straightOpt, { epoch: '3' });
      const halfway = straight.values();
      // The uninterrupted run continues; a fresh process-like copy resumes from the file.
      const resumed = new Fixture(golden.problem, halfway);
      const resumedOpt = makeOptimizer({ ...ref, options: { ...ref.options, lr: 123 } }, resumed);
      const metadata = optim.loadOptimizerState(file, resumedOpt);
      assert.equal(metadata.epoch, '3');
      assert.equal(resumedOpt.paramGroups[0].lr, straightOpt.paramGroups[0].lr, 'the saved lr is restored');
      for (let i = 0; i < 4; i++) {
        trainStep(straightOpt, straight, ref);
        trainStep(resumedOpt, resumed, ref);
        assert.deepEqual(resumed.values(), straight.values(), `${name}: step ${4 + i} after resuming`);
      }
      for (const o of [straightOpt, resumedOpt]) o.dispose();
      for (const f of [straight, resumed]) f.dispose();
    }
    assert.equal(torch.liveTensors(), live, 'saving and loading leave no tensor behind');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('the state dict names tensors as PyTorch does and counts steps per parameter', () => {
  const fixture = new Fixture(golden.problem);
  const opt = makeOptimizer(golden.results.adam_wd_amsgrad, fixture);
  for (let i = 0; i < 2; i++) trainStep(opt, fixture, golden.results.adam_wd_amsgrad);
  const { tensors, meta } = opt.stateDict();
  // Parameters 0 (w) and 1 (b) have state; 2 (unused) and 3 (frozen) never had a gradient.
  assert.deepEqual([...tensors.keys()].sort(), [
    'state.0.exp_avg',
    'state.0.exp_avg_sq',
    'state.0.max_exp_avg_sq',
    'state.1.exp_avg',
    'state.1.exp_avg_sq',
    'state.1.max_exp_avg_sq',
  ]);
  assert.deepEqual(meta.steps, { 0: 2, 1: 2 });
  assert.equal(meta.optimizer, 'Adam');
  assert.deepEqual(meta.paramGroups, [
    {
      lr: 0.02,
      betas: [0.9, 0.999],
      eps: 1e-8,
      weightDecay: 0.1,
      amsgrad: true,
      maximize: false,
      params: [0, 1, 2, 3],
    },
  ]);
  opt.dispose();
  fixture.dispose();
});

test('loading mismatched state is refused with the reason, leaving the optimizer as it was', () => {
  const fixture = new Fixture(golden.problem);
  const adam = makeOptimizer(golden.results.adam, fixture);
  trainStep(adam, fixture, golden.results.adam);
  const saved = adam.stateDict();
  const sgd = new optim.SGD(Object.values(fixture.params), { lr: 0.1 });
  assert.throws(() => sgd.loadStateDict(saved), /SGD: cannot load optimizer state: it was saved by Adam/);
  const other = new optim.Adam([fixture.params.w], {});
  assert.throws(() => other.loadStateDict(saved), /group 0 has 4 parameters, this optimizer's 1/);
  const wrongShape = new Map(saved.tensors);
  torch.scope(() => {
    wrongShape.set('state.0.exp_avg', torch.zeros([2]));
    assert.throws(
      () => adam.loadStateDict({ tensors: wrongShape, meta: saved.meta }),
      (e: Error) =>
        e instanceof optim.OptimizerStateError &&
        /state\.0\.exp_avg has shape \[2\], its parameter \[3,4\]/.test(e.message),
    );
  });
  // The failed load did not drop the state: the next step still matches the reference.
  trainStep(adam, fixture, golden.results.adam);
  assertClose(fixture.values().w, golden.results.adam.trajectory[1].w, 1e-6);
  for (const o of [adam, sgd, other]) o.dispose();
  fixture.dispose();
});

test('hyperparameters are checked, and frozen or gradient-less parameters are left alone', () => {
  const w = torch.ones([2]).requiresGrad_().keep();
  assert.throws(() => new optim.SGD([w], { lr: -1 }), /SGD: invalid learning rate -1/);
  assert.throws(
    () => new optim.SGD([w], { lr: 0.1, nesterov: true }),
    /Nesterov momentum requires a momentum and zero dampening/,
  );
  assert.throws(() => new optim.Adam([w], { betas: [1, 0.999] }), /invalid beta parameter at index 0: 1/);
  assert.throws(() => new optim.Adam([], {}), /empty parameter list/);
  assert.throws(() => new optim.Adam([{ params: [w] }, { params: [w] }], {}), /appears in more than one group/);
  // A parameter frozen after its gradient was computed keeps its value (the frozen-encoder case).
  const opt = new optim.AdamW([w], { lr: 0.1 });
  torch.scope(() => w.mul(3).sum().backward());
  w.requiresGrad = false;
  opt.step();
  assert.deepEqual([...w.toFloat32Array()], [1, 1]);
  assert.equal(opt.stateDict().tensors.size, 0);
  w.requiresGrad = true;
  opt.step();
  assert.ok(w.toFloat32Array()[0] < 1);
  opt.zeroGrad();
  assert.equal(w.grad, null);
  opt.dispose();
  w.dispose();
});

test('live tensors do not grow over many steps', () => {
  const fixture = new Fixture(golden.problem);
  const ref = golden.results.adam_groups;
  const opt = makeOptimizer({ ...ref, kind: 'AdamW', options: { ...ref.options, amsgrad: true } }, fixture);
  const sgd = new optim.SGD(Object.values(fixture.params), {
    lr: 0.01,
    momentum: 0.9,
    nesterov: true,
    weightDecay: 1e-4,
  });
  trainStep(opt, fixture, ref);
  trainStep(sgd, fixture, { ...ref, clip: { max_norm: 1, norm_type: 2 } });
  const before = torch.liveTensors();
  for (let i = 0; i < 300; i++) {
    trainStep(opt, fixture, ref);
    trainStep(sgd, fixture, { ...ref, clip: { max_norm: 1, norm_type: 2 } });
  }
  opt.zeroGrad();
  sgd.zeroGrad();
  // Gradients were live before (3 tensors with grads) and are dropped now; nothing else changed.
  assert.ok(torch.liveTensors() <= before, `live tensors ${before} -> ${torch.liveTensors()}`);
  opt.dispose();
  sgd.dispose();
  fixture.dispose();
});
