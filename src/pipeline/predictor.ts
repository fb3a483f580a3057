// The two-stage predictor: the classifier says whether an image shows pneumothorax; only images whose
// probability reaches the classifier threshold go to the segmenter, whose probability map is brought
// back to the image's own resolution, thresholded per pixel and subjected to the minimum area. With
// test-time augmentation each model also sees the horizontal mirror, and the two predictions are
// averaged (the mirrored map flipped back first). An ensemble bundle's role is the mean of its
// members' probabilities (model-engine.ts), taken before TTA's mean, thresholds and the minimum area
// alike. Models load once, onto the chosen device; every
// batch runs in a scope, so no tensor outlives it, and under inference mode, in the chosen precision
// (bf16 or fp16 autocast: the models' outputs are brought back to fp32 before the sigmoid).
import { displayedProbability } from './calibrated-probability.js';
import { performance } from 'node:perf_hooks';
import * as torch from '../torch/index.js';
import { emptyMask, type GrayImage, type Mask } from '../data/image.js';
import { encodeRle } from '../data/rle.js';
import type { BundleThresholds, OperatingPointName } from './bundle-manifest.js';
import { resolveOperatingPoint } from './bundle-operating-point.js';
import { loadBundle, type LoadBundleOptions, type LoadedBundle } from './bundle.js';
import { applyMinArea, maskBoundingBox, type BoundingBox } from './mask-postprocess.js';
import { mirror, preprocessBatch } from './preprocess.js';
import {
  defaultInferenceSetup,
  encoderOf,
  prepareForInference,
  PLAIN_SETUP,
  type InferenceSetup,
} from './inference-setup.js';
import { libtorchEngine, type ModelEngine, type Runtime } from './model-engine.js';
import { bundledInt8Models, onnxRuntimeEngine } from './onnx-engine.js';
import { ttaOn, type TtaName } from './tta.js';
import type { DicomMeta } from '../data/dicom/index.js';
import { BundleError } from './bundle-manifest.js';
import { readGateFile } from './gate-file.js';
import { hasGateFeatures } from './gate-features.js';
import {
  DEFAULT_GATE_SETTINGS,
  gateOutcome,
  oodThreshold,
  statusOf,
  type AssessmentStatus,
  type GateOutcome,
  type GateSettings,
} from './input-gate.js';
import { oodScores, type OodModel } from './ood-distance.js';

/** Milliseconds per stage for one image; batch stages are shared equally by the images of the batch. */
export interface StageTimings {
  preprocess: number;
  classify: number;
  /** 0 for an image that was not segmented. */
  segment: number;
  postprocess: number;
  encode: number;
}

export interface Prediction {
  /**
   * `not-assessed` when the input gate refused the image (gate.reasons): then it was not segmented,
   * decision is false and probability is kept for audit only, never to be shown as a finding.
   */
  status: AssessmentStatus;
  gate: GateOutcome;
  /**
   * The probability a reader is shown, and the classifier threshold on the same scale: calibrated
   * with the bundle's temperature when it has one (`calibrated`), else the model's own. Decisions
   * are taken on the model's own (the thresholds were chosen on it); the map is monotone, so
   * probability >= threshold either way.
   */
  probability: number;
  threshold: number;
  probabilityUncalibrated: number;
  thresholdUncalibrated: number;
  calibrated: boolean;
  /**
   * The bundle's operating point whose thresholds decided ('triage' unless asked otherwise), 'thresholds'
   * for a bundle without named points, or 'given'.
   */
  operatingPoint: string;
  /** probability >= threshold, and a mask survived the pixel threshold and the minimum area. */
  decision: boolean;
  /** Whether the classifier let the image through to the segmenter. */
  segmented: boolean;
  /** At the image's own resolution; empty for a negative. */
  mask: Mask;
  area: number;
  bbox: BoundingBox | null;
  /** SIIM RLE of the mask at the image's resolution; `-1` when empty. */
  rle: string;
  timings: StageTimings;
}

/** Segmenter probabilities at the model's output resolution, one row-major map per image. */
export interface ProbabilityMaps {
  width: number;
  height: number;
  maps: Float32Array[];
}

export interface PredictorOptions extends LoadBundleOptions {
  /** Horizontal-flip test-time augmentation for both models: `hflip` (or true), `none` (or false, the default). */
  tta?: boolean | TtaName;
  /** Compute threads; all cores by default. */
  threads?: number;
  /** Which of the bundle's named operating points to run at; 'triage' by default (bundle-operating-point.ts). */
  operatingPoint?: OperatingPointName;
  /** Replaces the bundle's thresholds (e.g. while searching them); the operating point is then 'given'. */
  thresholds?: BundleThresholds;
  /** fp32 (default), bf16 (CPU or CUDA) or fp16 (CUDA only). */
  precision?: torch.Precision;
  /** A concrete device ('cpu', 'cuda:0'), as torch.resolveDevice gives; 'cpu' by default. */
  device?: string;
  /** How the loaded models are rearranged for speed; the measured defaults of inference-setup.ts otherwise. */
  inferenceSetup?: Partial<InferenceSetup>;
  /** libtorch (default) runs the bundle's modules; onnx runs their ONNX export in ONNX Runtime (CPU, fp32). */
  runtime?: Runtime;
  /** onnx: run these ONNX models (e.g. an int8 export) instead of exporting the bundle's in memory. */
  onnxModels?: Partial<Record<'classifier' | 'segmenter', Uint8Array>>;
  /** The input gate: on with the default rules unless told otherwise. */
  gate?: GateSettings;
}

const now = () => performance.now();

export class Predictor {
  /** Whether horizontal-flip TTA runs (ttaName gives its recorded name). */
  readonly tta: boolean;
  readonly precision: torch.Precision;
  readonly device: string;
  /** The inference transforms applied to each model. */
  readonly setups: Record<'classifier' | 'segmenter', InferenceSetup>;
  thresholds: BundleThresholds;
  /** The operating point the thresholds came from; 'thresholds' without named points, 'given' when passed. */
  readonly operatingPoint: string;
  /** The engine that runs both models. */
  readonly engine: ModelEngine;
  /** The input gate's settings, and the bundle's learned gate (null without one, or with the gate off). */
  readonly gate: GateSettings;
  readonly oodModel: OodModel | null;
  /** The learned gate's threshold in force, or null without one. */
  readonly oodThreshold: number | null;

  constructor(
    readonly bundle: LoadedBundle,
    options: PredictorOptions = {},
  ) {
    this.tta = ttaOn(options.tta);
    if (options.thresholds) {
      this.thresholds = { ...options.thresholds };
      this.operatingPoint = 'given';
    } else {
      const point = resolveOperatingPoint(bundle.manifest, options.operatingPoint);
      this.thresholds = point.thresholds;
      this.operatingPoint = point.named ? point.name : 'thresholds';
    }
    this.precision = options.precision ?? 'fp32';
    this.device = options.device ?? 'cpu';
    torch.checkPrecision(this.precision, this.device);
    this.gate = options.gate ?? DEFAULT_GATE_SETTINGS;
    const gateEntry = bundle.manifest.gate;
    this.oodModel = gateEntry && this.gate.enabled ? readGateFile(bundle.dir, gateEntry) : null;
    this.oodThreshold = this.oodModel ? oodThreshold(gateEntry, this.gate.rules) : null;
    if (this.oodModel && !hasGateFeatures(bundle.classifier))
      throw new BundleError(bundle.dir, [
        'the bundle has an input gate but its classifier gives no pooled features (not a registry model?)',
      ]);
    // Only an explicit --threads changes the engine's threads; PNEUMO_THREADS (or every core) holds otherwise.
    if (options.threads !== undefined) torch.setNumThreads(options.threads);
    const runtime = options.runtime ?? 'libtorch';
    if (runtime === 'onnx' || runtime === 'onnx-int8') {
      if (this.device !== 'cpu' || this.precision !== 'fp32')
        throw new Error(
          `the ${runtime} runtime runs ${runtime === 'onnx' ? 'fp32' : 'from fp32 input'} on the CPU (asked: ${this.precision} on ${this.device})`,
        );
      // The export folds the batch norms itself; the input stays in the contiguous layout ONNX reads.
      this.setups = {
        classifier: { ...PLAIN_SETUP, foldBatchNorm: true },
        segmenter: { ...PLAIN_SETUP, foldBatchNorm: true },
      };
      this.engine = onnxRuntimeEngine(bundle, {
        threads: torch.getNumThreads(),
        models: runtime === 'onnx-int8' ? bundledInt8Models(bundle) : options.onnxModels,
        runtime,
      });
      return;
    }
    const members = [...bundle.classifiers, ...bundle.segmenters];
    if (this.device !== 'cpu') for (const model of members) model.to(this.device);
    const setupFor = (model: object) => ({
      ...defaultInferenceSetup(this.precision, this.device, encoderOf(model)),
      ...options.inferenceSetup,
    });
    this.setups = { classifier: setupFor(bundle.classifier), segmenter: setupFor(bundle.segmenter) };
    for (const model of bundle.classifiers)
      prepareForInference(model, this.device, this.precision, this.setups.classifier);
    for (const model of bundle.segmenters)
      prepareForInference(model, this.device, this.precision, this.setups.segmenter);
    this.engine = libtorchEngine(bundle);
  }

  /** fn under inference mode and the predictor's precision. */
  private infer<T>(fn: () => T): T {
    return torch.inferenceMode(() => torch.withPrecision(this.precision, this.device, fn));
  }

  /** A preprocessed batch on the predictor's device. */
  private onDevice(input: torch.Tensor, role: 'classifier' | 'segmenter'): torch.Tensor {
    const placed = this.device === 'cpu' ? input : input.to(this.device);
    return this.setups[role].channelsLast ? torch.contiguousAs(placed, 'channels-last') : placed;
  }

  static async load(bundleDir: string, options: PredictorOptions = {}): Promise<Predictor> {
    return new Predictor(await loadBundle(bundleDir, options), options);
  }

  /** Classifier probabilities, one per image (averaged with the mirror under TTA). */
  classify(images: readonly GrayImage[]): Float32Array {
    const { input } = this.bundle.manifest.classifier;
    return this.infer(() =>
      torch.scope(() =>
        this.classifyTensor(this.onDevice(preprocessBatch(images, input), 'classifier')).toFloat32Array(),
      ),
    );
  }

  private classifyTensor(input: torch.Tensor): torch.Tensor {
    const probability = this.engine.classifierProbability(input);
    if (!this.tta) return probability;
    const mirrored = this.engine.classifierProbability(mirror(input));
    return probability.add(mirrored).mul(0.5);
  }

  /** Probabilities as classifyTensor, and the learned gate's scores (null without a learned gate). */
  private classifyAndScore(input: torch.Tensor): { probabilities: Float32Array; scores: Float64Array | null } {
    if (!this.oodModel) return { probabilities: this.classifyTensor(input).toFloat32Array(), scores: null };
    const { probability, features } = this.engine.classifierWithFeatures(input);
    const scores = oodScores(this.oodModel, features.toFloat32Array());
    if (!this.tta) return { probabilities: probability.toFloat32Array(), scores };
    const mirrored = this.engine.classifierProbability(mirror(input));
    return { probabilities: probability.add(mirrored).mul(0.5).toFloat32Array(), scores };
  }

  /** Classifier probabilities and the learned gate's scores (null without a learned gate), one per image. */
  classifyWithScores(images: readonly GrayImage[]): { probabilities: Float32Array; scores: Float64Array | null } {
    const { input } = this.bundle.manifest.classifier;
    return this.infer(() =>
      torch.scope(() => this.classifyAndScore(this.onDevice(preprocessBatch(images, input), 'classifier'))),
    );
  }

  /** The gate's outcome for an image that has a header but no pixels to score (a colour or multi-frame DICOM). */
  gateWithoutPixels(meta: DicomMeta): GateOutcome {
    return gateOutcome(meta, null, null, this.gate);
  }

  private segmentTensor(input: torch.Tensor): torch.Tensor {
    const probability = this.engine.maskProbability(input);
    if (!this.tta) return probability;
    const mirrored = mirror(this.engine.maskProbability(mirror(input)));
    return probability.add(mirrored).mul(0.5);
  }

  /** Segmenter probability maps at its output resolution, for every image (no classifier gate). */
  segmentProbabilities(images: readonly GrayImage[]): ProbabilityMaps {
    const { input } = this.bundle.manifest.segmenter;
    return this.infer(() =>
      torch.scope(() => {
        const probabilities = this.segmentTensor(this.onDevice(preprocessBatch(images, input), 'segmenter'));
        const [n, , height, width] = probabilities.shape;
        const flat = probabilities.toFloat32Array();
        const maps = Array.from({ length: n }, (_, i) => flat.slice(i * width * height, (i + 1) * width * height));
        return { width, height, maps };
      }),
    );
  }

  /**
   * A probability map (at any resolution) to the image's mask: bilinear to width x height, pixels
   * above the pixel threshold, then the minimum area. The same post-processing as predict().
   */
  maskFromProbabilities(
    map: Float32Array,
    mapWidth: number,
    mapHeight: number,
    width: number,
    height: number,
    thresholds = this.thresholds,
  ): Mask {
    const data = torch.noGrad(() =>
      torch.scope(() => {
        let t = torch.tensor(map, [1, 1, mapHeight, mapWidth]);
        if (mapWidth !== width || mapHeight !== height)
          t = torch.interpolate(t, { size: [height, width], mode: 'bilinear', alignCorners: false });
        return torch.gt(t, thresholds.pixel).data() as Uint8Array;
      }),
    );
    const mask: Mask = { width, height, data };
    applyMinArea(mask, thresholds.minArea);
    return mask;
  }

  /**
   * The whole pipeline on a batch of images. The input gate first: with `headers` (one per image, null
   * for PNG/JPEG) the header rules, and with the bundle's learned gate the OOD score; a refused image
   * is not segmented. The decision is positive when a mask survives: the image was assessed, the
   * classifier let it through and some region passed the pixel threshold and the minimum area.
   */
  predict(images: readonly GrayImage[], headers?: readonly (DicomMeta | null)[]): Prediction[] {
    if (images.length === 0) return [];
    if (headers && headers.length !== images.length)
      throw new RangeError(`predict: ${images.length} images but ${headers.length} headers`);
    const { classifier, segmenter } = this.bundle.manifest;
    const t = this.thresholds;
    const ms = { preprocess: 0, classify: 0, segment: 0, upsample: 0 };
    const { probabilities, masks, gates } = this.infer(() =>
      torch.scope(() => {
        let mark = now();
        const lap = (stage: keyof typeof ms) => {
          const time = now();
          ms[stage] += time - mark;
          mark = time;
        };
        const classifierInput = this.onDevice(preprocessBatch(images, classifier.input), 'classifier');
        lap('preprocess');
        const { probabilities, scores } = this.classifyAndScore(classifierInput);
        lap('classify');
        const gates = images.map((_, i) =>
          gateOutcome(headers?.[i] ?? null, scores ? scores[i] : null, this.oodThreshold, this.gate),
        );
        const chosen = images
          .map((_, i) => i)
          .filter((i) => statusOf(gates[i]) === 'assessed' && probabilities[i] >= t.classifier);
        const masks = new Map<number, Uint8Array>();
        if (chosen.length > 0) {
          const segmenterInput = this.onDevice(
            preprocessBatch(
              chosen.map((i) => images[i]),
              segmenter.input,
            ),
            'segmenter',
          );
          lap('preprocess');
          const batch = this.segmentTensor(segmenterInput);
          lap('segment');
          // Each image's map back to its own resolution, thresholded to 0/1 bytes.
          chosen.forEach((index, k) => {
            const { width, height } = images[index];
            let map = torch.narrow(batch, 0, k, 1);
            if (map.shape[2] !== height || map.shape[3] !== width)
              map = torch.interpolate(map, { size: [height, width], mode: 'bilinear', alignCorners: false });
            masks.set(index, torch.gt(map, t.pixel).data() as Uint8Array);
          });
          lap('upsample');
        }
        return { probabilities, masks, gates };
      }),
    );
    const postStart = now();
    const results = images.map((image, i) => {
      const data = masks.get(i);
      const mask: Mask = data
        ? { width: image.width, height: image.height, data }
        : emptyMask(image.width, image.height);
      const area = data ? applyMinArea(mask, t.minArea) : 0;
      return {
        probability: probabilities[i],
        segmented: data !== undefined,
        mask,
        area,
        bbox: area > 0 ? maskBoundingBox(mask) : null,
      };
    });
    const encodeStart = now();
    const rles = results.map((r) => (r.area > 0 ? encodeRle(r.mask) : '-1'));
    const end = now();
    const n = images.length;
    const segmentedCount = masks.size;
    const manifest = this.bundle.manifest;
    const threshold = displayedProbability(t.classifier, manifest);
    return results.map((r, i) => ({
      status: statusOf(gates[i]),
      gate: gates[i],
      probability: displayedProbability(r.probability, manifest).probability,
      threshold: threshold.probability,
      probabilityUncalibrated: r.probability,
      thresholdUncalibrated: t.classifier,
      calibrated: threshold.calibrated,
      operatingPoint: this.operatingPoint,
      decision: r.area > 0,
      segmented: r.segmented,
      mask: r.mask,
      area: r.area,
      bbox: r.bbox,
      rle: rles[i],
      timings: {
        preprocess: ms.preprocess / n,
        classify: ms.classify / n,
        segment: r.segmented ? ms.segment / segmentedCount : 0,
        postprocess: (r.segmented ? ms.upsample / segmentedCount : 0) + (encodeStart - postStart) / n,
        encode: (end - encodeStart) / n,
      },
    }));
  }

  dispose(): void {
    this.engine.dispose();
    this.bundle.dispose();
  }
}
