// `pneumo bench recipe`: whether the demo's figures hold beyond one draw. Trains the demo's small plan
// on seeds 1, 2 and 3 (each its own training and independent test set, drains reversed in the test
// set), then prints every headline figure as mean, range and the value of each seed: the classifier's
// ROC AUC overall, on drain films and per mask-size band; Dice on positives; the SIIM score against
// the all-empty baseline; the pipeline's recall and specificity at the bundle's triage point (chosen on
// validation: the highest pipeline specificity whose recall reaches 0.90, the point serve's worklist
// flags at) overall, on drain films and per band, as each seed's test evaluation measured them; and
// the targets, each judged on its worst seed. About 40 minutes of quiet CPU on 2 cores: run it alone
// (under the heavy-job lock). --quick runs the tiny plan on two seeds, a smoke test of the code path
// whose figures mean nothing; --seeds 1,2 trains fewer (or other) seeds.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { runDemo } from '../src/demo/run-demo.js';
import { demoPlan, RECIPE_TARGETS } from '../src/demo/demo-plan.js';
import { demoRecipeFigures } from '../src/demo/recipe-figures.js';
import type { DemoResult } from '../src/report/demo-summary.js';

interface Spread {
  mean: number | null;
  min: number | null;
  max: number | null;
  seeds: (number | null)[];
}

const round = (v: number | null) => (v === null ? null : Number(v.toFixed(4)));

function spread(values: (number | null)[]): Spread {
  const known = values.filter((v): v is number => v !== null);
  return {
    mean: known.length === 0 ? null : round(known.reduce((a, b) => a + b, 0) / known.length),
    min: known.length === 0 ? null : round(Math.min(...known)),
    max: known.length === 0 ? null : round(Math.max(...known)),
    seeds: values.map(round),
  };
}

export type SeedFigures = Record<string, number | null>;

async function seedFigures(out: string, seed: number, size: string): Promise<SeedFigures> {
  const result = await runDemo({ out, plan: demoPlan(size), seed });
  if (result.failures.length > 0) throw new Error(`seed ${seed}: ${result.failures.slice(0, 3).join('; ')}`);
  return demoFigures(out, result);
}

/**
 * The figures of one finished demo (its folder and its demo.json). The triage figures are the test
 * evaluation's at the bundle's triage point (recipe-figures.ts): the pipeline's flag, as the worklist
 * shows it, with the classifier alone beside it.
 */
export async function demoFigures(out: string, result: DemoResult): Promise<SeedFigures> {
  const h = result.headline;
  const f = await demoRecipeFigures(out);
  const t = f.test;
  const [drain] = t.drain ?? [null];
  const figures: SeedFigures = {
    rocAuc: h.rocAuc,
    rocAucDrain: drain?.auc.estimate ?? null,
    dicePositive: h.dicePositive.segmenter,
    siimScore: h.siimScore,
    allEmptyScore: h.allEmptyScore,
    siimOverEmpty: h.siimScore === null ? null : h.siimScore - h.allEmptyScore,
    triageClassifierThreshold: f.triage.thresholds.classifier,
    triagePixelThreshold: f.triage.thresholds.pixel,
    triageMinArea: f.triage.thresholds.minArea,
    triageRecall: t.recall.estimate,
    triageSpecificity: t.specificity.estimate,
    triageRecallDrain: drain?.sensitivity.estimate ?? null,
    triageSpecificityDrain: drain?.specificity.estimate ?? null,
    triageClassifierRecall: t.classifierRecall.estimate,
    triageClassifierSpecificity: t.classifierSpecificity.estimate,
    seconds: result.seconds.total,
  };
  t.sizeBands.forEach((b, i) => {
    figures[`rocAucBand${i}`] = b.auc.estimate;
    figures[`triageRecallBand${i}`] = b.sensitivity.estimate;
    figures[`diceBand${i}`] = f.segmenterDiceBands[i] ?? null;
    figures[`positivesBand${i}`] = b.positives;
  });
  return figures;
}

export async function run(options: { quick: boolean; seeds?: number[] }): Promise<object> {
  const size = options.quick ? 'tiny' : 'small';
  const seeds = options.seeds ?? (options.quick ? [1, 2] : [1, 2, 3]);
  const root = await mkdtemp(path.join(tmpdir(), 'pneumo-bench-recipe-'));
  try {
    const perSeed: SeedFigures[] = [];
    for (const seed of seeds) {
      perSeed.push(await seedFigures(path.join(root, `seed${seed}`), seed, size));
      // Each seed's figures as they come, so that a run cut short still says what it measured.
      process.stderr.write(`seed ${seed}: ${JSON.stringify(perSeed.at(-1))}\n`);
    }
    return { bench: 'recipe', plan: size, seeds, ...summarise(perSeed, !options.quick) };
  } finally {
    await rm(root, { recursive: true, force: true });
  }
}

/** Mean, range and per-seed values of every figure, and the targets judged on the worst seed. */
export function summarise(perSeed: SeedFigures[], withTargets: boolean): object {
  const figures: Record<string, Spread> = {};
  for (const key of Object.keys(perSeed[0])) figures[key] = spread(perSeed.map((s) => s[key]));
  const worst = (key: string) => figures[key].min;
  const t = RECIPE_TARGETS;
  const target = (key: string, floor: number) => ({
    worst: worst(key),
    mean: figures[key].mean,
    target: floor,
    met: (worst(key) ?? -1) >= floor,
  });
  return {
    bands: ['< 0.4%', '0.4-1.8%', '> 1.8%'],
    figures,
    targets: withTargets
      ? {
          rocAuc: target('rocAuc', t.rocAuc),
          dicePositive: target('dicePositive', t.dicePositive),
          triageRecall: target('triageRecall', t.triageRecall),
          triageSpecificity: target('triageSpecificity', t.triageSpecificity),
          triageRecallDrain: target('triageRecallDrain', t.triageRecall),
          triageSpecificityDrain: target('triageSpecificityDrain', t.triageSpecificity),
          triageRecallSmall: target('triageRecallBand0', t.triageRecallSmall),
        }
      : null,
  };
}
