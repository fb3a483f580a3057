// `pneumo bench evaluate`: what the clinical-study figures (src/evaluate/study.ts: bootstrap
// intervals, DeLong, operating points, calibration, subgroups, shortcut probe) cost beside the rest of
// an evaluation. Two measurements:
//   - the metric stage alone on synthetic predictions of 200 images (binormal scores, sex/age/view,
//     mask-size bands and one device), with 0 and with 1000 bootstrap resamples, median of 3;
//   - a real `evaluate` of 200 synthetic 1024x1024 DICOMs (the demo's test-set size and image side) with
//     a bundle of the demo's architectures at the demo's input 320 (random weights: time, not
//     quality), once with --bootstrap 0 and once with 1000; the bootstrap's cost is the difference of
//     the study stage, as a share of the evaluation without it. Target: under 10%.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { Rng } from '../src/data/random.js';
import { writeSynthDataset } from '../src/data/synth/dataset-writer.js';
import { evaluateBundle } from '../src/evaluate/evaluate-bundle.js';
import { maskSizeFamily, parseGroupsCsv, type AttributeFamily } from '../src/evaluate/image-attributes.js';
import { studyFigures } from '../src/evaluate/study.js';
import type { PipelineRecord } from '../src/evaluate/threshold-sweep.js';
import { IMAGENET_NORMALIZATION } from '../src/models/index.js';
import { makeBundle } from '../src/pipeline/bundle.js';
import { DEMO_MODELS } from '../src/pipeline/demo-models.js';
import { median } from './median.js';
import { writeRegistryRun } from './support/registry-run.js';

const RESAMPLES = 1000;

function syntheticStudy(n: number, seed: number): { records: PipelineRecord[]; families: AttributeFamily[] } {
  const rng = new Rng(seed);
  const records: PipelineRecord[] = [];
  const fractions = new Map<string, number>();
  const rows = ['ImageId,sex,age,view,drain'];
  for (let i = 0; i < n; i++) {
    const label = i % 3 === 0 ? 1 : 0;
    const imageId = `image-${i}`;
    const z = rng.normal(label * 1.2, 1);
    records.push({
      imageId,
      label,
      probability: 1 / (1 + Math.exp(-z)),
      segmentedDice: label === 1 ? rng.next() : rng.bool(0.8) ? 1 : 0,
      maskFound: rng.bool(0.6),
    });
    fractions.set(imageId, label === 1 ? Math.exp(rng.uniform(Math.log(0.001), Math.log(0.05))) : 0);
    rows.push(
      `${imageId},${rng.bool() ? 'F' : 'M'},${['<18', '18-39', '40-59', '60-79', '80+'][rng.int(5)]},${rng.bool(0.6) ? 'PA' : 'AP'},${rng.bool(0.3) ? 1 : 0}`,
    );
  }
  return { records, families: [...parseGroupsCsv(rows.join('\n'), 'synthetic'), maskSizeFamily(fractions)] };
}

function timeStudy(records: PipelineRecord[], families: AttributeFamily[], resamples: number, repeats: number): number {
  const seconds: number[] = [];
  for (let r = 0; r < repeats; r++) {
    const start = performance.now();
    studyFigures(records, { thresholds: { classifier: 0.5, pixel: 0.5, minArea: 0 } }, families, { resamples });
    seconds.push((performance.now() - start) / 1000);
  }
  return median(seconds);
}

export async function run({ quick }: { quick: boolean }): Promise<object> {
  const images = quick ? 40 : 200;
  const repeats = quick ? 1 : 3;
  const synthetic = syntheticStudy(200, 7);
  const groups = synthetic.families.reduce((n, f) => n + f.groups.length, 0);
  const metric0 = timeStudy(synthetic.records, synthetic.families, 0, repeats);
  const metric1 = timeStudy(synthetic.records, synthetic.families, RESAMPLES, repeats);

  const dir = await mkdtemp(path.join(tmpdir(), 'pneumo-bench-evaluate-'));
  try {
    const normalization = { mean: IMAGENET_NORMALIZATION.grayMean, std: IMAGENET_NORMALIZATION.grayStd };
    writeRegistryRun(path.join(dir, 'c'), DEMO_MODELS.classifier, 320, normalization);
    writeRegistryRun(path.join(dir, 's'), DEMO_MODELS.segmenter, 320, normalization);
    await makeBundle({
      classifierRun: path.join(dir, 'c'),
      segmenterRun: path.join(dir, 's'),
      out: path.join(dir, 'b'),
    });
    const data = path.join(dir, 'data');
    await writeSynthDataset(data, { n: images, size: 1024, seed: 3 });
    const evaluate = (bootstrap: number) =>
      evaluateBundle({
        bundle: path.join(dir, 'b'),
        data,
        split: 'all',
        out: path.join(dir, `e${bootstrap}`),
        bootstrap,
      });
    const without = await evaluate(0);
    const withBootstrap = await evaluate(RESAMPLES);
    const bootstrapSeconds = withBootstrap.seconds.study - without.seconds.study;
    const share = bootstrapSeconds / without.seconds.total;
    return {
      bench: 'evaluate',
      quick,
      resamples: RESAMPLES,
      metricStage: {
        images: synthetic.records.length,
        families: synthetic.families.length,
        groups,
        secondsWithoutBootstrap: Number(metric0.toFixed(4)),
        secondsWithBootstrap: Number(metric1.toFixed(4)),
      },
      evaluation: {
        images: without.images,
        imageSide: 1024,
        inputSize: 320,
        models: DEMO_MODELS,
        threads: without.threads,
        subgroupFamilies: withBootstrap.study.subgroups.map((f) => f.key),
        withoutBootstrap: {
          totalSeconds: without.seconds.total,
          predictSeconds: without.seconds.predict,
          studySeconds: without.seconds.study,
        },
        withBootstrap: {
          totalSeconds: withBootstrap.seconds.total,
          predictSeconds: withBootstrap.seconds.predict,
          studySeconds: withBootstrap.seconds.study,
        },
        bootstrapSeconds: Number(bootstrapSeconds.toFixed(3)),
        bootstrapShareOfEvaluation: Number(share.toFixed(4)),
        target: 'bootstrap adds < 10% of the evaluation without it',
        met: share < 0.1,
      },
    };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
