// ONNX Runtime's rows of `pneumo bench predict`: the same end-to-end pipeline with --runtime onnx
// (mask agreement with libtorch's masks as mean Dice), and the eval forward of U-Net/ResNet-34 at 512,
// batch 1, for libtorch (as the predictor prepares it), ONNX Runtime fp32 and PyTorch fp32 in the same
// run, with the convolution algorithm each engine used: libtorch's from oneDNN's own verbose log
// (DNNL_VERBOSE), ONNX Runtime's from the graph it optimised (optimizedModelFilePath: NCHWc direct
// convolutions are com.microsoft.nchwc Conv nodes; a plain Conv is MLAS's im2col + SGEMM; the int8
// export's are com.microsoft QLinearConv, MLAS's u8s8 integer convolution). ONNX Runtime's int8 rows
// run `pneumo export --int8`'s QDQ model, calibrated on the SIIM films; the session-option rows time
// the same two models under other ONNX Runtime settings.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import onnxProto from 'onnx-proto';
import * as ort from 'onnxruntime-node';
import * as torch from '../src/torch/index.js';
import { readImage } from '../src/data/image-io.js';
import { modelInput, modelInputBatch } from '../src/data/model-input.js';
import type { Mask } from '../src/data/image.js';
import { createModel } from '../src/models/index.js';
import { prepareForInference, defaultInferenceSetup } from '../src/pipeline/inference-setup.js';
import type { BundleManifest } from '../src/pipeline/bundle-manifest.js';
import { exportModel } from '../src/export/export-model.js';
import { int8Model } from '../src/export/export-int8.js';
import { OnnxSessions } from '../src/pipeline/onnx-engine.js';
import { Predictor, type StageTimings } from '../src/pipeline/predictor.js';
import { maskLogits } from '../src/pipeline/model-contract.js';
import { PROJECT_ROOT } from '../src/project-paths.js';
import { pythonJson } from './support/python.js';

const round = (v: number, digits = 1) => Number(v.toFixed(digits));

/** Dice of two masks; both empty scores 1 (the SIIM convention). */
export function dice(a: Uint8Array, b: Uint8Array): number {
  let both = 0;
  let sum = 0;
  for (let i = 0; i < a.length; i++) {
    both += a[i] & b[i];
    sum += a[i] + b[i];
  }
  return sum === 0 ? 1 : (2 * both) / sum;
}

const STAGES = ['read', 'preprocess', 'classify', 'segment', 'postprocess', 'encode'] as const;

/** The bench's end-to-end loop with --runtime onnx; masks are compared with libtorch's of the same files. */
export async function endToEndOnnx(
  bundle: string,
  files: readonly string[],
  threads: number,
  batch: number,
  libtorchMasks: readonly Mask[],
): Promise<object> {
  const predictor = await Predictor.load(bundle, { threads, runtime: 'onnx' });
  try {
    predictor.predict([await readImage(files[0])]);
    const latency: Record<string, number> = Object.fromEntries(STAGES.map((s) => [s, 0]));
    const dices: number[] = [];
    for (const [i, file] of files.entries()) {
      const start = performance.now();
      const image = await readImage(file);
      latency.read += performance.now() - start;
      const [p] = predictor.predict([image]);
      dices.push(dice(p.mask.data, libtorchMasks[i].data));
      for (const stage of STAGES.slice(1) as (keyof StageTimings)[]) latency[stage] += p.timings[stage];
    }
    for (const s of STAGES) latency[s] = round(latency[s] / files.length);
    const started = performance.now();
    for (let i = 0; i < files.length; i += batch)
      predictor.predict(await Promise.all(files.slice(i, i + batch).map((f) => readImage(f))));
    const throughput = files.length / ((performance.now() - started) / 1000);
    return {
      latency_ms: round(STAGES.reduce((a, s) => a + latency[s], 0)),
      by_stage_ms: latency,
      throughput_images_per_s: round(throughput, 3),
      mask_dice_vs_libtorch: {
        mean: round(dices.reduce((a, b) => a + b, 0) / dices.length, 4),
        min: round(Math.min(...dices), 4),
      },
    };
  } finally {
    predictor.dispose();
  }
}

/** sin(0.001 * i) over [1, 1, size, size], as bench/precision_reference.py makes it. */
function deterministicInput(size: number): Float32Array {
  const n = size * size;
  const data = new Float32Array(n);
  for (let i = 0; i < n; i++) data[i] = Math.sin(i * 0.001);
  return data;
}

/** oneDNN's convolution primitives (implementation and algorithm) in a U-Net forward at `size`, from its verbose log. */
function libtorchConvAlgorithms(size: number): Record<string, number> {
  const script = `
    const torch = await import(${JSON.stringify(path.join(PROJECT_ROOT, 'dist/src/torch/index.js'))});
    const { createModel } = await import(${JSON.stringify(path.join(PROJECT_ROOT, 'dist/src/models/index.js'))});
    const { prepareForInference, defaultInferenceSetup } = await import(${JSON.stringify(path.join(PROJECT_ROOT, 'dist/src/pipeline/inference-setup.js'))});
    const model = createModel('unet-resnet34').eval();
    prepareForInference(model, 'cpu', 'fp32', defaultInferenceSetup('fp32', 'cpu', 'resnet34'));
    torch.inferenceMode(() => torch.scope(() => model.forward(torch.contiguousAs(torch.zeros([1, 1, ${size}, ${size}]), 'channels-last'))));`;
  const run = spawnSync(process.execPath, ['--input-type=module', '-e', script], {
    encoding: 'utf8',
    env: { ...process.env, DNNL_VERBOSE: '1', ONEDNN_VERBOSE: '1' },
    maxBuffer: 64 << 20,
  });
  const counts: Record<string, number> = {};
  for (const line of run.stdout.split('\n')) {
    // dnnl_verbose,exec,cpu,convolution,jit:avx512_core,forward_inference,...,alg:convolution_direct,...
    const fields = line.split(',');
    if (fields[1] !== 'exec' || fields[3] !== 'convolution') continue;
    const alg = fields.find((f) => f.startsWith('alg:'))?.slice(4) ?? 'unknown';
    const key = `${fields[4]} ${alg}`;
    counts[key] = (counts[key] ?? 0) + 1;
  }
  if (Object.keys(counts).length === 0) counts[`no oneDNN verbose output (exit ${run.status})`] = 0;
  return counts;
}

/** Conv nodes of the graph ONNX Runtime optimised (all levels), by domain and op type. */
async function onnxConvNodes(bytes: Uint8Array, threads: number, file: string): Promise<Record<string, number>> {
  const session = await ort.InferenceSession.create(bytes, {
    intraOpNumThreads: threads,
    graphOptimizationLevel: 'all',
    optimizedModelFilePath: file,
  });
  await session.release();
  const model = onnxProto.onnx.ModelProto.decode(readFileSync(file));
  const counts: Record<string, number> = {};
  for (const n of model.graph?.node ?? []) {
    if (!/Conv/.test(n.opType ?? '')) continue; // Conv, FusedConv, QLinearConv, ConvInteger
    const key = `${n.domain || 'ai.onnx'}:${n.opType}`;
    counts[key] = (counts[key] ?? 0) + 1;
  }
  return counts;
}

/** Fastest of `reps` async runs of one model under several ONNX Runtime session settings. */
async function sessionVariants(
  bytes: Uint8Array,
  input: Float32Array,
  dims: readonly number[],
  threads: number,
  reps: number,
): Promise<Record<string, number>> {
  const settings: Record<string, ort.InferenceSession.SessionOptions> = {
    all: { graphOptimizationLevel: 'all' },
    extended: { graphOptimizationLevel: 'extended' },
    all_denormal_as_zero: { graphOptimizationLevel: 'all', extra: { session: { set_denormal_as_zero: '1' } } },
  };
  const ms: Record<string, number> = {};
  for (const [name, setting] of Object.entries(settings)) {
    const session = await ort.InferenceSession.create(bytes, {
      intraOpNumThreads: threads,
      interOpNumThreads: 1,
      executionMode: 'sequential',
      ...setting,
    });
    const feeds = { [session.inputNames[0]]: new ort.Tensor('float32', input, dims) };
    await session.run(feeds);
    let best = Infinity;
    for (let i = 0; i < reps; i++) {
      const start = performance.now();
      await session.run(feeds);
      best = Math.min(best, performance.now() - start);
    }
    ms[name] = round(best);
    await session.release();
  }
  return ms;
}

/**
 * U-Net/ResNet-34 eval forward at `size`, batch 1, fastest of `reps`: libtorch as the predictor
 * prepares it (folded, channels-last), ONNX Runtime fp32 on its export, PyTorch fp32; the masks of
 * ONNX Runtime against libtorch's on the SIIM films (probability > 0.5 at the model's resolution).
 */
export async function forwardRows(options: {
  threads: number;
  reps: number;
  size: number;
  work: string;
  films: readonly string[];
  manifest: BundleManifest;
}): Promise<object> {
  const { threads, reps, size, work } = options;
  const name = 'unet-resnet34';
  torch.manualSeed(0);
  const libtorchModel = createModel(name).eval();
  const weights = path.join(work, `${name}.safetensors`);
  torch.saveSafetensors(weights, libtorchModel.stateDict());
  const config = libtorchModel.config;
  const manifest: BundleManifest = {
    ...options.manifest,
    segmenter: {
      ...options.manifest.segmenter,
      architecture: name,
      config: { ...config },
      input: modelInput({ width: size, height: size }, options.manifest.segmenter.input.normalization),
    },
  };
  const onnxModel = createModel(name).eval();
  onnxModel.loadStateDict(libtorchModel.stateDict());
  const bytes = exportModel(onnxModel, 'segmenter', manifest, { dynamicBatch: true });
  onnxModel.dispose();
  prepareForInference(libtorchModel, 'cpu', 'fp32', defaultInferenceSetup('fp32', 'cpu', 'resnet34'));
  const int8 = (await int8Model(bytes, manifest.segmenter.input, options.films, threads)).bytes;
  const sessions = new OnnxSessions({ fp32: bytes, int8 }, threads);
  const input = deterministicInput(size);
  const dims = [1, 1, size, size];
  const libtorchForward = (data: Float32Array) =>
    torch.inferenceMode(() =>
      torch.scope(() => {
        const x = torch.contiguousAs(torch.tensor(data, dims), 'channels-last');
        return maskLogits(libtorchModel.forward(x)).sigmoid().toFloat32Array();
      }),
    );
  const fastest = (fn: () => unknown) => {
    fn();
    let best = Infinity;
    for (let i = 0; i < reps; i++) {
      const start = performance.now();
      fn();
      best = Math.min(best, performance.now() - start);
    }
    return best;
  };
  try {
    const pytorch = pythonJson<{ ms: { fp32: Record<string, number> }; versions: string }>(
      'bench/precision_reference.py',
      String(threads),
      String(reps),
      JSON.stringify(config),
      weights,
      String(size),
      '1',
    );
    const ms = {
      libtorch_fp32: fastest(() => libtorchForward(input)),
      onnxruntime_fp32: fastest(() => sessions.run('fp32', 'image', input, dims)),
      onnxruntime_int8: fastest(() => sessions.run('int8', 'image', input, dims)),
      pytorch_fp32: pytorch.ms.fp32['1'],
    };
    const variants = {
      fp32: await sessionVariants(bytes, input, dims, threads, reps),
      int8: await sessionVariants(int8, input, dims, threads, reps),
    };
    // Mask agreement on the films, made through the model-input contract as the predictor makes them.
    const dices: Record<'fp32' | 'int8', number[]> = { fp32: [], int8: [] };
    const contract = manifest.segmenter.input;
    const binary = (m: Float32Array) => Uint8Array.from(m, (p) => (p > 0.5 ? 1 : 0));
    for (const film of options.films) {
      const data = modelInputBatch([await readImage(film)], contract);
      const a = binary(libtorchForward(data));
      for (const engine of ['fp32', 'int8'] as const)
        dices[engine].push(dice(a, binary(sessions.run(engine, 'image', data, dims).data)));
    }
    const meanDice = (d: number[]) => ({ mean: round(d.reduce((x, y) => x + y, 0) / d.length, 4), films: d.length });
    return {
      model: name,
      input: `1x1x${size}x${size}`,
      threads,
      fastest_of: reps,
      ms: {
        libtorch_fp32: round(ms.libtorch_fp32),
        onnxruntime_fp32: round(ms.onnxruntime_fp32),
        onnxruntime_int8: round(ms.onnxruntime_int8),
        pytorch_fp32: round(ms.pytorch_fp32),
      },
      ratio_over_pytorch_fp32: {
        libtorch_fp32: round(ms.libtorch_fp32 / ms.pytorch_fp32, 3),
        onnxruntime_fp32: round(ms.onnxruntime_fp32 / ms.pytorch_fp32, 3),
        onnxruntime_int8: round(ms.onnxruntime_int8 / ms.pytorch_fp32, 3),
      },
      // Random weights: how far the int8 graph moves this model's masks, not a trained model's (see demo_int8).
      onnxruntime_fp32_mask_dice_vs_libtorch: meanDice(dices.fp32),
      onnxruntime_int8_mask_dice_vs_libtorch: meanDice(dices.int8),
      onnxruntime_session_options: {
        ms: variants,
        ratio_over_pytorch_fp32: Object.fromEntries(
          Object.entries(variants).map(([k, v]) => [
            k,
            Object.fromEntries(Object.entries(v).map(([o, m]) => [o, round(m / ms.pytorch_fp32, 3)])),
          ]),
        ),
        note:
          'async session.run on the main thread, fastest of the same reps; all = ORT_ENABLE_ALL (NCHWc layout), ' +
          'extended = no NCHWc layout transform, denormal_as_zero = session.set_denormal_as_zero; ' +
          'intra-op threads = the run threads. MLAS has no Winograd or other fast fp32 convolution.',
      },
      conv_algorithms: {
        libtorch: libtorchConvAlgorithms(size),
        onnxruntime_fp32_optimised_graph: await onnxConvNodes(bytes, threads, path.join(work, 'optimised.onnx')),
        onnxruntime_int8_optimised_graph: await onnxConvNodes(int8, threads, path.join(work, 'optimised-int8.onnx')),
        note:
          'libtorch: oneDNN primitives from DNNL_VERBOSE (implementation, algorithm); PyTorch fp32 runs the same ' +
          'oneDNN. ONNX Runtime: com.microsoft.nchwc:Conv is MLAS NCHWc direct convolution, ai.onnx:Conv (or ' +
          'FusedConv) is MLAS im2col + SGEMM, com.microsoft:QLinearConv is MLAS u8s8 integer convolution ' +
          '(NHWC, VNNI where the CPU has it; left-over fp32 Conv nodes are the heads kept in fp32).',
      },
      pytorch: pytorch.versions,
    };
  } finally {
    sessions.close();
    libtorchModel.dispose();
  }
}
