// `pneumo bench gate`: how well the learned input gate separates the demo's chest films from images
// it must refuse, on a trained bundle (the baseline demo's, PNEUMO_DEMO=/work/demo-base/seed1 by
// default: bundle/, data/ its training set, test-data/ its test films; PNEUMO_GATE_BUNDLE names
// another bundle). The bundle is copied; nothing in the demo folder is written.
//   1. The pooled encoder features of the classifier's training and validation images (the bundle's
//      recorded split, else stratified 0.2, seed 1), of the test films, of the 10 SIIM sample films,
//      and of the off-distribution set: CT_small and MR_small (pydicom), natural images (a drawn
//      scene, and any photograph found on the machine), and, from the first 20 test films, their 90-degree
//      rotations, inversions and synthetic laterals (test/pipeline/off-distribution-images.ts).
//   2. For each method (Mahalanobis with Ledoit-Wolf shrinkage, kNN): fitted on the training images,
//      threshold at the 99.5th percentile of the validation scores; the false-flag rate on the test
//      films (target <= 2%) and on the SIIM films, the share of each off-distribution kind flagged,
//      and the ROC AUC of the score (test films vs the off-distribution set).
//   3. The chosen method's gate written into the copy, then `predict` on the test films and on a
//      mixed folder (SIIM, CT, MR, a colour DICOM): statuses with the header rules too.
// --quick uses 40 test films and 5 of each derived kind.
import { existsSync } from 'node:fs';
import { cp, mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import type { GrayImage } from '../src/data/image.js';
import { readImage } from '../src/data/image-io.js';
import { findDicomFiles } from '../src/data/dataset.js';
import { rocAuc } from '../src/metrics/classification.js';
import { loadBundle, type LoadedBundle } from '../src/pipeline/bundle.js';
import {
  collectGateFeatures,
  DEFAULT_GATE_TRANSFORM,
  fitInputGate,
  gateSplit,
  imageGateFeatures,
} from '../src/pipeline/fit-gate.js';
import { fitOod, oodScores, percentile, OOD_METHODS, type OodMethod } from '../src/pipeline/ood-distance.js';
import { predictFiles, type PredictionRecord } from '../src/pipeline/predict-files.js';
import { inverted, naturalScene, rotated90, syntheticLateral } from '../test/pipeline/off-distribution-images.js';
import { fixture } from './support/fixtures.js';

const PERCENTILE = 99.5;
// Photographs that happen to be on the development machine (licence-free documentation images);
// the bench uses those it finds and says which.
const PHOTOGRAPHS = [
  '/root/.rustup/toolchains/stable-x86_64-unknown-linux-gnu/share/doc/rust/html/embedded-book/assets/f3.jpg',
  '/root/.rustup/toolchains/stable-x86_64-unknown-linux-gnu/share/doc/rust/html/embedded-book/assets/verify.jpeg',
];

interface Scored {
  kind: string;
  name: string;
  features: Float64Array;
}

function rows(items: readonly Float64Array[]): Float64Array {
  const dim = items[0]?.length ?? 0;
  const out = new Float64Array(items.length * dim);
  items.forEach((r, i) => out.set(r, i * dim));
  return out;
}

function split(features: Float64Array, dim: number): Float64Array[] {
  return Array.from({ length: features.length / dim }, (_, i) => features.slice(i * dim, (i + 1) * dim));
}

async function featuresOfImages(bundle: LoadedBundle, images: readonly GrayImage[]): Promise<Float64Array[]> {
  const out: Float64Array[] = [];
  for (let i = 0; i < images.length; i += 8) {
    const batch = images.slice(i, i + 8);
    const features = imageGateFeatures(bundle, batch);
    out.push(...split(features, features.length / batch.length));
  }
  return out;
}

const round = (v: number, digits = 4) => Number(v.toFixed(digits));

export async function run(o: { quick: boolean }): Promise<object> {
  const demo = process.env.PNEUMO_DEMO ?? '/work/demo-base/seed1';
  const source = process.env.PNEUMO_GATE_BUNDLE ?? path.join(demo, 'bundle');
  if (!existsSync(path.join(source, 'bundle.json')))
    throw new Error(`no bundle at ${source} (set PNEUMO_DEMO to a finished demo folder or PNEUMO_GATE_BUNDLE)`);
  const work = await mkdtemp(path.join(tmpdir(), 'pneumo-bench-gate-'));
  const started = performance.now();
  try {
    const bundleDir = path.join(work, 'bundle');
    await cp(source, bundleDir, { recursive: true });
    const { train, validation, fittedOn } = await gateSplit(bundleDir, path.join(demo, 'data'));
    const testFiles = (await findDicomFiles(path.join(demo, 'test-data'))).slice(0, o.quick ? 40 : undefined);
    const siimFiles = (await findDicomFiles(fixture('siim-sample'))).sort();
    const derivedCount = o.quick ? 5 : 20;
    const bundle = await loadBundle(bundleDir);
    let methods: Record<string, object> = {};
    let chosen: OodMethod = 'mahalanobis';
    try {
      const trainF = await collectGateFeatures(bundle, train);
      const valF = await collectGateFeatures(bundle, validation);
      const testF = await collectGateFeatures(bundle, testFiles);
      const siimF = await collectGateFeatures(bundle, siimFiles);
      const dim = trainF.dim;
      const off: Scored[] = [];
      const ct = await collectGateFeatures(bundle, [fixture('dicom', 'pydicom', 'CT_small.dcm')]);
      const mr = await collectGateFeatures(bundle, [fixture('dicom', 'pydicom', 'MR_small.dcm')]);
      off.push({ kind: 'ct', name: 'CT_small.dcm', features: ct.rows });
      off.push({ kind: 'mr', name: 'MR_small.dcm', features: mr.rows });
      const photos = PHOTOGRAPHS.filter((p) => existsSync(p));
      const naturals: GrayImage[] = [naturalScene(1024, 768, 1), naturalScene(800, 800, 2)];
      for (const p of photos) naturals.push(await readImage(p));
      (await featuresOfImages(bundle, naturals)).forEach((features, i) =>
        off.push({ kind: 'natural', name: i < 2 ? `drawn scene ${i + 1}` : path.basename(photos[i - 2]), features }),
      );
      const films = await Promise.all(testFiles.slice(0, derivedCount).map((f) => readImage(f)));
      for (const [kind, make] of [
        ['rotated-90', rotated90],
        ['inverted', inverted],
        ['lateral', syntheticLateral],
      ] as const)
        (await featuresOfImages(bundle, films.map(make))).forEach((features, i) =>
          off.push({ kind, name: path.basename(testFiles[i]), features }),
        );
      const offRows = rows(off.map((s) => s.features));
      let bestAuc = -1;
      for (const method of OOD_METHODS) {
        const model = fitOod(method, trainF.rows, dim, DEFAULT_GATE_TRANSFORM);
        const threshold = percentile(oodScores(model, valF.rows), PERCENTILE);
        const test = oodScores(model, testF.rows);
        const siim = oodScores(model, siimF.rows);
        const offScores = oodScores(model, offRows);
        const auc = rocAuc([...test, ...offScores], [...test.map(() => 0), ...offScores.map(() => 1)]) ?? 0;
        const byKind: Record<string, { n: number; flagged: number }> = {};
        off.forEach((s, i) => {
          byKind[s.kind] ??= { n: 0, flagged: 0 };
          byKind[s.kind].n++;
          if (offScores[i] > threshold) byKind[s.kind].flagged++;
        });
        const testFlagged = test.filter((v) => v > threshold).length;
        methods[method] = {
          threshold: round(threshold),
          testFalseFlagRate: round(testFlagged / test.length),
          testFlagged,
          siimFlagged: siim.filter((v) => v > threshold).length,
          offFlagged: byKind,
          auc: round(auc),
          testScoreMedian: round(percentile(test, 50)),
          offScoreMedian: round(percentile(offScores, 50)),
        };
        if (auc > bestAuc) {
          bestAuc = auc;
          chosen = method;
        }
      }
      methods = {
        ...methods,
        sets: {
          training: trainF.files.length,
          validation: valF.files.length,
          test: testF.files.length,
          siim: siimF.files.length,
          off: off.length,
          photographs: photos.map((p) => path.basename(p)),
          fittedOn,
        },
      };
    } finally {
      bundle.dispose();
    }
    // End to end with the chosen method: header rules and the learned gate, through `predict`.
    const fitted = await fitInputGate(bundleDir, train, validation, { method: chosen, fittedOn });
    const statuses = async (inputs: string[], out: string) => {
      const summary = await predictFiles({ inputs, bundle: bundleDir, out: path.join(work, out) });
      const records = (await readFile(summary.predictionsFile, 'utf8'))
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as PredictionRecord);
      return { summary, records };
    };
    const testRun = await statuses(testFiles, 'test');
    const learnedFlags = testRun.records.filter((r) => r.gate.reasons.includes('out-of-distribution')).length;
    const mixed = path.join(work, 'mixed');
    await mkdir(mixed);
    for (const f of [
      ...siimFiles,
      ...['CT_small.dcm', 'MR_small.dcm', 'SC_rgb_small_odd.dcm'].map((n) => fixture('dicom', 'pydicom', n)),
    ])
      await cp(f, path.join(mixed, path.basename(f)));
    const mixedRun = await statuses([mixed], 'mixed');
    return {
      bench: 'gate',
      quick: o.quick,
      bundle: source,
      percentile: PERCENTILE,
      methods,
      chosen,
      gate: fitted.gate,
      predictTest: {
        images: testRun.records.length,
        notAssessed: testRun.summary.notAssessed,
        reasons: testRun.summary.notAssessedReasons,
        learnedGateFalseFlagRate: round(learnedFlags / testRun.records.length),
      },
      predictMixed: mixedRun.records.map((r) => ({
        file: path.basename(r.file),
        status: r.status,
        reasons: r.gate.reasons,
        oodScore: r.gate.oodScore === null ? null : round(r.gate.oodScore, 2),
      })),
      seconds: round((performance.now() - started) / 1000, 1),
    };
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}
