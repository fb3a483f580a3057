import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as torch from '../../../src/torch/index.js';
import { optim } from '../../../src/torch/index.js';
import { assertClose } from '../helpers.js';
import { pythonJson } from '../../../bench/support/python.js';

type Case =
  | {
      kind: 'cosine';
      lrs: number[];
      total: number;
      warmup: number;
      start_factor: number;
      min_lr: number;
      sequence: number[][];
    }
  | { kind: 'step'; lrs: number[]; step_size: number; gamma: number; sequence: number[][] }
  | {
      kind: 'plateau';
      lrs: number[];
      options: Record<string, unknown>;
      metrics: number[];
      sequence: number[][];
    };

const cases = pythonJson<Record<string, Case>>('test/torch/golden/schedules_reference.py');

/** An SGD over one parameter per group, with the given learning rates. */
function groups(lrs: number[]) {
  const params = lrs.map(() => torch.zeros([1]).requiresGrad_().keep());
  const opt = new optim.SGD(
    params.map((p, i) => ({ params: [p], lr: lrs[i] })),
    { lr: lrs[0] },
  );
  return { opt, dispose: () => params.forEach((p) => p.dispose()) };
}

function makeSchedule(c: Case, opt: optim.HasParamGroups): optim.LrSchedule {
  if (c.kind === 'cosine')
    return new optim.CosineWarmup(opt, {
      totalSteps: c.total,
      warmupSteps: c.warmup,
      warmupStartFactor: c.start_factor,
      minLr: c.min_lr,
    });
  if (c.kind === 'step') return new optim.StepDecay(opt, { stepSize: c.step_size, gamma: c.gamma });
  const o = c.options;
  return new optim.ReduceOnPlateau(opt, {
    mode: o.mode as 'min' | 'max' | undefined,
    factor: o.factor as number | undefined,
    patience: o.patience as number | undefined,
    threshold: o.threshold as number | undefined,
    thresholdMode: o.threshold_mode as 'rel' | 'abs' | undefined,
    cooldown: o.cooldown as number | undefined,
    minLr: o.min_lr as number | number[] | undefined,
  });
}

/** The lr of each group before each step, as the reference script records it. */
function trace(c: Case, schedule: optim.LrSchedule, steps: number, from = 0): number[][] {
  const out: number[][] = [];
  for (let i = from; i < from + steps; i++) {
    out.push([...schedule.lastLr]);
    schedule.step(c.kind === 'plateau' ? c.metrics[i] : undefined);
  }
  return out;
}

for (const [name, c] of Object.entries(cases)) {
  // Past totalSteps torch's CosineAnnealingLR turns back up; ours holds minLr, so compare up to it.
  const steps = c.kind === 'cosine' ? c.total + 1 : c.sequence.length;
  test(`${name}: the lr sequence matches torch.optim.lr_scheduler`, () => {
    const { opt, dispose } = groups(c.lrs);
    const got = trace(c, makeSchedule(c, opt), steps);
    assert.equal(got.length, c.sequence.length);
    got.forEach((lrs, i) => assertClose(lrs, c.sequence[i], 1e-12, `${name} step ${i}`));
    // The sequence is not flat: the schedule did change the rate.
    assert.ok(new Set(got.map((l) => l[0])).size > 1);
    dispose();
  });

  test(`${name}: state saved halfway and restored continues the same sequence`, () => {
    const first = groups(c.lrs);
    const schedule = makeSchedule(c, first.opt);
    const half = Math.floor(steps / 2);
    trace(c, schedule, half);
    const saved = JSON.parse(JSON.stringify(schedule.stateDict())) as Record<string, unknown>;
    // A resumed run: a new optimizer (its lr restored from the optimizer state, as a checkpoint does for
    // ReduceOnPlateau, whose lr is not a function of the step) and a new schedule loading the state.
    const second = groups(c.lrs);
    if (c.kind === 'plateau') second.opt.paramGroups.forEach((g, i) => (g.lr = first.opt.paramGroups[i].lr));
    const resumed = makeSchedule(c, second.opt);
    resumed.loadStateDict(saved);
    assert.deepEqual(trace(c, resumed, steps - half, half), trace(c, schedule, steps - half, half));
    first.dispose();
    second.dispose();
  });
}

test('cosine holds minLr after totalSteps, and bad settings or state are refused', () => {
  const { opt, dispose } = groups([0.1]);
  const cosine = new optim.CosineWarmup(opt, { totalSteps: 4, warmupSteps: 2, minLr: 0.001 });
  assert.deepEqual(trace(cases.cosine_hf_from_zero, cosine, 7), [
    [0],
    [0.05],
    [0.1],
    [0.0505],
    [0.001],
    [0.001],
    [0.001],
  ]);
  assert.throws(
    () => new optim.CosineWarmup(opt, { totalSteps: 4, warmupSteps: 4 }),
    /warmupSteps must be an integer in \[0, totalSteps\)/,
  );
  assert.throws(() => new optim.StepDecay(opt, { stepSize: 0 }), /stepSize must be a positive integer/);
  assert.throws(() => new optim.ReduceOnPlateau(opt, { factor: 1 }), /factor should be < 1.0/);
  assert.throws(() => new optim.ReduceOnPlateau(opt).step(), /needs the monitored metric/);
  assert.throws(() => cosine.loadStateDict({ lastStep: 2, baseLrs: [0.1, 0.2] }), optim.ScheduleStateError);
  assert.throws(() => new optim.ReduceOnPlateau(opt).loadStateDict({ best: 1 }), /no number `lastStep`/);
  dispose();
});
