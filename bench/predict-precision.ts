// `pneumo bench predict-precision`: eval forward of the production-sized networks (unet-resnet34,
// classifier-densenet121) at 512 px, batch 1 and 8, in fp32 and in bf16, against PyTorch fp32 and
// PyTorch bf16 autocast (bench/precision_reference.py) in the same run, same weights, same input and
// thread count. Ours runs as the Predictor does: inference mode, autocast for bf16, and each inference
// setup (batch norm folded, channels-last, weights cast once) measured on its own so the Predictor's
// defaults (src/pipeline/inference-setup.ts) rest on figures; the ratios use the default. Times are the
// fastest of REPS calls after one warm-up, our variants taking turns call by call and PyTorch's side
// run once before ours and once after (the faster of its two runs counts), because this shared
// machine's speed drifts by tens of percent over minutes; the checksums (sum of the batch-1 output)
// show both sides compute the same network. On PyTorch 2.x the reference also runs through
// torch.compile (inductor), once, after the eager runs; its compile time is reported apart from its
// step time. Targets (issue 11): bf16 U-Net batch 1 <= 0.55x PyTorch fp32 and <= 0.90x PyTorch bf16;
// fp32 U-Net <= 0.70x PyTorch fp32; DenseNet-121 never slower than PyTorch.
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as torch from '../src/torch/index.js';
import { createModel } from '../src/models/index.js';
import type { Precision } from '../src/torch/index.js';
import { engineInfo } from '../src/torch/engine-info.js';
import {
  defaultInferenceSetup,
  encoderOf,
  prepareForInference,
  type InferenceSetup,
} from '../src/pipeline/inference-setup.js';
import { pythonJson } from './support/python.js';

const SIZE = 512;
const MODEL_NAMES = ['unet-resnet34', 'classifier-densenet121'];
type Measured = Record<'fp32' | 'bf16', Record<string, number>>;

/** sin(0.001 * i) over the flattened batch, as the Python side makes it. */
function deterministicInput(batch: number): torch.Tensor {
  const data = new Float32Array(batch * SIZE * SIZE);
  for (let i = 0; i < data.length; i++) data[i] = Math.sin(i * 0.001);
  return torch.tensor(data, [batch, 1, SIZE, SIZE]);
}

function outputTensor(out: unknown): torch.Tensor {
  return out instanceof torch.Tensor ? out : (out as { mask: torch.Tensor }).mask;
}

const round = (v: number, digits = 1) => Number(v.toFixed(digits));

const VARIANTS: Record<Precision & ('fp32' | 'bf16'), Record<string, InferenceSetup>> = {
  fp32: {
    plain: { foldBatchNorm: false, channelsLast: false, castWeights: false },
    fold: { foldBatchNorm: true, channelsLast: false, castWeights: false },
    'fold+channels-last': { foldBatchNorm: true, channelsLast: true, castWeights: false },
  },
  bf16: {
    plain: { foldBatchNorm: false, channelsLast: false, castWeights: false },
    cast: { foldBatchNorm: false, channelsLast: false, castWeights: true },
    'cast+fold': { foldBatchNorm: true, channelsLast: false, castWeights: true },
    'cast+fold+channels-last': { foldBatchNorm: true, channelsLast: true, castWeights: true },
  },
};

function variantName(precision: 'fp32' | 'bf16', setup: InferenceSetup): string {
  const found = Object.entries(VARIANTS[precision]).find(
    ([, v]) =>
      v.foldBatchNorm === setup.foldBatchNorm &&
      v.channelsLast === setup.channelsLast &&
      (precision === 'fp32' || v.castWeights === setup.castWeights),
  );
  if (!found) throw new Error(`the default ${precision} inference setup is not among the measured variants`);
  return found[0];
}

/** One eval forward as the Predictor runs it; returns the sum of the output (a checksum). */
function forwardOnce(model: ReturnType<typeof createModel>, precision: Precision, x: torch.Tensor): number {
  return torch.inferenceMode(() =>
    torch.scope(() =>
      torch.withPrecision(precision, 'cpu', () => {
        const out = outputTensor(model.forward(x));
        // Reading one value waits for the whole output, as the Python side's sum does.
        return out.float().sum().item() as number;
      }),
    ),
  );
}

/**
 * Fastest of `reps` eval forwards of each variant at this batch, the variants taking turns (rep 1 of
 * each, then rep 2 of each...) so that a slow spell of the shared machine falls on all of them, after
 * one warm-up each; the warm-up's output sum is the checksum.
 */
function timeVariants(
  variants: Map<string, { model: ReturnType<typeof createModel>; setup: InferenceSetup }>,
  precision: Precision,
  batch: number,
  reps: number,
): Map<string, { ms: number; checksum: number }> {
  const results = new Map<string, { ms: number; checksum: number }>();
  torch.scope(() => {
    const plainInput = deterministicInput(batch);
    const channelsLastInput = torch.contiguousAs(plainInput, 'channels-last');
    const inputOf = (setup: InferenceSetup) => (setup.channelsLast ? channelsLastInput : plainInput);
    for (const [name, { model, setup }] of variants)
      results.set(name, { ms: Infinity, checksum: forwardOnce(model, precision, inputOf(setup)) });
    for (let rep = 0; rep < reps; rep++) {
      for (const [name, { model, setup }] of variants) {
        const start = performance.now();
        forwardOnce(model, precision, inputOf(setup));
        const result = results.get(name)!;
        result.ms = Math.min(result.ms, performance.now() - start);
      }
    }
  });
  return results;
}

export async function run({ quick }: { quick: boolean }): Promise<object> {
  const threads = torch.getNumThreads();
  const batches = quick ? [1] : [1, 8];
  const reps = quick ? 1 : 5;
  const work = mkdtempSync(path.join(os.tmpdir(), 'pneumo-bench-precision-'));
  const models: Record<string, object> = {};
  try {
    for (const name of MODEL_NAMES) {
      torch.manualSeed(0);
      const reference = createModel(name).eval();
      const config = reference.config;
      const weights = path.join(work, `${name}.safetensors`);
      torch.saveSafetensors(weights, reference.stateDict());
      reference.dispose();
      // PyTorch's side runs before and after ours; each figure is the faster of the two runs.
      const pythonRun = (...flags: string[]) =>
        pythonJson<{ ms: Measured; checksum: Record<string, number>; versions: string; compile_s?: Measured }>(
          'bench/precision_reference.py',
          ...flags,
          String(threads),
          String(reps),
          JSON.stringify(config),
          weights,
          String(SIZE),
          ...batches.map(String),
        );
      const before = pythonRun();
      // ours[precision][variant][batch] in ms
      const ours: Record<string, Record<string, Record<string, number>>> = { fp32: {}, bf16: {} };
      const checksum: Record<string, Record<string, number>> = { fp32: {}, bf16: {} };
      for (const precision of ['fp32', 'bf16'] as const) {
        const variants = new Map<string, { model: ReturnType<typeof createModel>; setup: InferenceSetup }>();
        try {
          for (const [variant, setup] of Object.entries(VARIANTS[precision])) {
            const model = createModel(name).eval();
            variants.set(variant, { model, setup });
            const state = torch.loadSafetensors(weights);
            model.loadStateDict(state);
            for (const t of state.values()) t.dispose();
            prepareForInference(model, 'cpu', precision, setup);
            ours[precision][variant] = {};
          }
          for (const batch of batches) {
            for (const [variant, measured] of timeVariants(variants, precision, batch, reps)) {
              ours[precision][variant][String(batch)] = measured.ms;
              if (batch === 1) checksum[precision][variant] = measured.checksum;
            }
          }
        } finally {
          for (const { model } of variants.values()) model.dispose();
        }
      }
      const after = pythonRun();
      // PyTorch 2.x also runs compiled (torch.compile, inductor): once, after both eager runs, since
      // compiling every shape twice would take longer than the rest of the benchmark.
      const compiled = /^torch (\d+)/.exec(before.versions)?.[1] !== '1' ? pythonRun('--compile') : undefined;
      const python = {
        ...after,
        ms: Object.fromEntries(
          (['fp32', 'bf16'] as const).map((p) => [
            p,
            Object.fromEntries(batches.map(String).map((b) => [b, Math.min(before.ms[p][b], after.ms[p][b])])),
          ]),
        ) as Measured,
      };
      const rows: Record<string, object> = {};
      for (const batch of batches.map(String)) {
        for (const precision of ['fp32', 'bf16'] as const) {
          const chosen = variantName(precision, defaultInferenceSetup(precision, 'cpu', encoderOf({ config })));
          const t = ours[precision][chosen][batch];
          rows[`${precision}_batch${batch}`] = {
            ours_ms: round(t),
            setup: chosen,
            pytorch_fp32_ms: round(python.ms.fp32[batch]),
            pytorch_bf16_ms: round(python.ms.bf16[batch]),
            ratio_vs_pytorch_fp32: round(t / python.ms.fp32[batch], 3),
            ratio_vs_pytorch_bf16: round(t / python.ms.bf16[batch], 3),
            ...(compiled && {
              pytorch_compiled_ms: round(compiled.ms[precision][batch]),
              pytorch_compile_s: round(compiled.compile_s?.[precision][batch] ?? NaN),
              ratio_vs_pytorch_compiled_same_precision: round(t / compiled.ms[precision][batch], 3),
            }),
            ours_ms_by_setup: Object.fromEntries(
              Object.entries(ours[precision]).map(([variant, byBatch]) => [variant, round(byBatch[batch])]),
            ),
          };
        }
      }
      models[name] = {
        ...rows,
        checksum_batch1: {
          ours: checksum,
          pytorch: python.checksum,
          ...(compiled && { pytorch_compiled: compiled.checksum }),
        },
        pytorch: python.versions,
      };
    }
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  return {
    benchmark: 'predict-precision',
    input_size: SIZE,
    threads,
    cpu_bf16: engineInfo().cpuBf16,
    models,
    targets: {
      'unet-resnet34 bf16 batch 1': '<= 0.55x PyTorch fp32 and <= 0.90x PyTorch bf16 autocast',
      'unet-resnet34 fp32': '<= 0.70x PyTorch fp32',
      'classifier-densenet121': 'never slower than PyTorch (ratio <= 1) at any batch',
      'PyTorch 2.x': 'never slower than PyTorch eager at any row; bf16 U-Net batch 1 <= 0.90x compiled PyTorch bf16',
    },
    note: "ratios are time ours (the Predictor's default setup) / time PyTorch; < 1 means pneumo is faster; both sides in the same run",
  };
}
