// Static calibration for the int8 export: the fp32 model runs in ONNX Runtime on calibration inputs
// (films made through the bundle's own input contract) with the activations to be quantised added as
// graph outputs, and each activation's range is the smallest and largest value it took over all of
// them (min/max calibration).
import * as ort from 'onnxruntime-node';
import { quantisationPlan, withActivationOutputs, type ActivationRange } from './qdq-quantize.js';
import onnxProto from 'onnx-proto';
import { ExportError } from './export-error.js';

export interface CalibrationInput {
  data: Float32Array;
  dims: readonly number[];
}

/** The calibrated range of every activation the QDQ rewrite quantises. */
export async function calibrateActivations(
  fp32: Uint8Array,
  inputs: Iterable<CalibrationInput> | AsyncIterable<CalibrationInput>,
  threads: number,
): Promise<Map<string, ActivationRange>> {
  const plan = quantisationPlan(onnxProto.onnx.ModelProto.decode(fp32));
  const session = await ort.InferenceSession.create(withActivationOutputs(fp32, plan.activations), {
    intraOpNumThreads: threads,
    graphOptimizationLevel: 'basic',
  });
  const ranges = new Map<string, [number, number]>();
  try {
    let count = 0;
    for await (const { data, dims } of inputs) {
      const out = await session.run(
        { [session.inputNames[0]]: new ort.Tensor('float32', data, dims) },
        plan.activations,
      );
      for (const name of plan.activations) {
        const values = out[name].data as Float32Array;
        const range = ranges.get(name) ?? [Infinity, -Infinity];
        for (let i = 0; i < values.length; i++) {
          const v = values[i];
          if (v < range[0]) range[0] = v;
          if (v > range[1]) range[1] = v;
        }
        ranges.set(name, range);
      }
      count++;
    }
    if (count === 0) throw new ExportError('no calibration film could be read');
  } finally {
    await session.release();
  }
  return ranges;
}
