// The int8 export's effect on a trained bundle (`pneumo bench predict --demo DIR`): DIR is a demo
// folder (bundle/, test-data/, data/). A copy of its bundle is exported to int8, calibrated on films of
// its training data (data/, never the test set), and run by ONNX Runtime beside ONNX Runtime fp32 and
// libtorch fp32 on every test film: the two-stage masks' Dice against libtorch's (empty and empty
// scores 1, as SIIM scores it; also over the films where either mask is non-empty), the segmenter's
// own maps on every film (largest probability change, Dice at the pixel threshold), the classifier's
// probabilities (largest change) and its ROC AUC on the test labels for each engine.
import { cpSync, existsSync } from 'node:fs';
import path from 'node:path';
import { readImage } from '../src/data/image-io.js';
import type { GrayImage } from '../src/data/image.js';
import { indexDataset } from '../src/data/dataset.js';
import { rocAuc } from '../src/metrics/classification.js';
import { loadBundle } from '../src/pipeline/bundle.js';
import { exportModel } from '../src/export/export-model.js';
import { calibrationFiles, int8Model } from '../src/export/export-int8.js';
import { Predictor } from '../src/pipeline/predictor.js';
import { dice } from './onnx-rows.js';

const round = (v: number, digits = 4) => Number(v.toFixed(digits));
const mean = (v: readonly number[]) => v.reduce((a, b) => a + b, 0) / Math.max(1, v.length);

interface EngineOutput {
  probability: number;
  mask: Uint8Array;
  map: Float32Array;
}

function runOn(predictor: Predictor, film: GrayImage): EngineOutput {
  const [p] = predictor.predict([film]);
  return {
    probability: p.probabilityUncalibrated,
    mask: p.mask.data,
    map: predictor.segmentProbabilities([film]).maps[0],
  };
}

/** One engine's agreement with libtorch fp32, accumulated film by film (the films are not all held at once). */
class Agreement {
  readonly maskDice: number[] = [];
  readonly nonEmptyDice: number[] = [];
  readonly mapDice: number[] = [];
  mapChange = 0;
  readonly probabilities: number[] = [];
  readonly probabilityChange: number[] = [];

  constructor(readonly pixel: number) {}

  add(ours: EngineOutput, reference: EngineOutput): void {
    const d = dice(ours.mask, reference.mask);
    this.maskDice.push(d);
    if (ours.mask.some((v) => v) || reference.mask.some((v) => v)) this.nonEmptyDice.push(d);
    const binary = (m: Float32Array) => Uint8Array.from(m, (p) => (p > this.pixel ? 1 : 0));
    this.mapDice.push(dice(binary(ours.map), binary(reference.map)));
    ours.map.forEach((p, j) => (this.mapChange = Math.max(this.mapChange, Math.abs(p - reference.map[j]))));
    this.probabilities.push(ours.probability);
    this.probabilityChange.push(Math.abs(ours.probability - reference.probability));
  }

  report(labels: readonly number[]) {
    return {
      mask_dice_vs_libtorch_fp32: {
        mean: round(mean(this.maskDice)),
        min: round(Math.min(...this.maskDice)),
        mean_where_either_non_empty: round(mean(this.nonEmptyDice)),
        films_either_non_empty: this.nonEmptyDice.length,
      },
      segmenter_map_every_film: {
        dice_at_pixel_threshold_mean: round(mean(this.mapDice)),
        dice_min: round(Math.min(...this.mapDice)),
        max_probability_change: round(this.mapChange),
      },
      classifier_probability_change: {
        max: round(Math.max(...this.probabilityChange)),
        mean: round(mean(this.probabilityChange)),
      },
      classifier_auc: round(rocAuc(this.probabilities, labels) ?? NaN),
    };
  }
}

export async function int8DemoRows(demo: string, work: string, threads: number): Promise<object> {
  const bundleDir = path.join(work, 'demo-bundle');
  if (!existsSync(path.join(demo, 'bundle', 'bundle.json'))) return { skipped: `no bundle in ${demo}` };
  cpSync(path.join(demo, 'bundle'), bundleDir, { recursive: true });
  const index = await indexDataset(path.join(demo, 'test-data'));
  const labels = index.items.map((i) => i.label);

  const calibration = await calibrationFiles({ data: [path.join(demo, 'data')] });
  const bundle = await loadBundle(bundleDir);
  const manifest = bundle.manifest;
  const int8: Record<'classifier' | 'segmenter', Uint8Array> = {
    classifier: new Uint8Array(),
    segmenter: new Uint8Array(),
  };
  const started = performance.now();
  try {
    for (const role of ['classifier', 'segmenter'] as const) {
      const fp32 = exportModel(bundle[role], role, manifest, { dynamicBatch: true });
      int8[role] = (await int8Model(fp32, manifest[role].input, calibration, threads)).bytes;
    }
  } finally {
    bundle.dispose();
  }
  const exportSeconds = (performance.now() - started) / 1000;

  const libtorch = await Predictor.load(bundleDir, { threads });
  const onnx = {
    fp32: await Predictor.load(bundleDir, { threads, runtime: 'onnx' }),
    int8: await Predictor.load(bundleDir, { threads, runtime: 'onnx', onnxModels: int8 }),
  };
  const pixel = manifest.thresholds.pixel;
  const agreements = { fp32: new Agreement(pixel), int8: new Agreement(pixel) };
  const libtorchProbabilities: number[] = [];
  try {
    for (const item of index.items) {
      const film = await readImage(item.path);
      const reference = runOn(libtorch, film);
      libtorchProbabilities.push(reference.probability);
      agreements.fp32.add(runOn(onnx.fp32, film), reference);
      agreements.int8.add(runOn(onnx.int8, film), reference);
    }
  } finally {
    libtorch.dispose();
    onnx.fp32.dispose();
    onnx.int8.dispose();
  }
  return {
    bundle: demo,
    models: { classifier: manifest.classifier.architecture, segmenter: manifest.segmenter.architecture },
    input: {
      classifier: `${manifest.classifier.input.width}x${manifest.classifier.input.height}`,
      segmenter: `${manifest.segmenter.input.width}x${manifest.segmenter.input.height}`,
    },
    test_films: labels.length,
    test_positives: labels.filter((l) => l === 1).length,
    calibration: {
      films: calibration.length,
      from: 'data/ (the training set), min/max',
      export_and_calibrate_s: round(exportSeconds, 1),
    },
    libtorch_fp32: { classifier_auc: round(rocAuc(libtorchProbabilities, labels) ?? NaN) },
    onnxruntime_fp32: agreements.fp32.report(labels),
    onnxruntime_int8: agreements.int8.report(labels),
  };
}
