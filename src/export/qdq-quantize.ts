// A statically calibrated int8 QDQ model from an fp32 export: every convolution's input and output
// activations pass through QuantizeLinear -> DequantizeLinear (uint8, asymmetric, scale and zero point
// from the calibrated range), its weights are stored as int8 with one symmetric scale per output
// channel and its bias as int32 at scale input_scale * weight_scale, each behind a DequantizeLinear.
// That is the pattern ONNX Runtime's CPU provider fuses into QLinearConv (u8 activations, s8 weights:
// the VNNI kernels); a Relu right after a convolution is quantised at its output (zero point 0), so
// that ONNX Runtime drops it into the fused convolution. The model's head convolutions (fewer than
// MIN_QUANTISED_CHANNELS outputs) stay fp32: they are cheap and their output is the probability.
import onnxProto from 'onnx-proto';
import { ExportError } from './export-error.js';

const { onnx } = onnxProto;
type Model = onnxProto.onnx.ModelProto;
type Node = onnxProto.onnx.INodeProto;
type Tensor = onnxProto.onnx.ITensorProto;
const DT = onnx.TensorProto.DataType;

/** Convolutions with fewer output channels than this (the heads) are left in fp32. */
export const MIN_QUANTISED_CHANNELS = 8;

/** A calibrated activation range, [min, max]. */
export type ActivationRange = readonly [number, number];

/** What a QDQ rewrite needs calibrated: the activation tensors that get a quantise/dequantise pair. */
export interface QuantisationPlan {
  /** Conv nodes (by name) that are quantised. */
  convs: string[];
  /** Activation tensors (graph value names) that get a QuantizeLinear/DequantizeLinear pair. */
  activations: string[];
}

function floatValues(t: Tensor): Float32Array {
  if (t.dataType !== DT.FLOAT) throw new ExportError(`initializer ${t.name}: not float32`);
  if (t.rawData && t.rawData.length) {
    const raw = t.rawData;
    return new Float32Array(raw.buffer.slice(raw.byteOffset, raw.byteOffset + raw.byteLength));
  }
  return Float32Array.from(t.floatData ?? []);
}

function consumersOf(nodes: readonly Node[]): Map<string, Node[]> {
  const map = new Map<string, Node[]>();
  for (const n of nodes)
    for (const i of n.input ?? []) {
      if (!i) continue;
      const list = map.get(i) ?? [];
      list.push(n);
      map.set(i, list);
    }
  return map;
}

/** Which convolutions and activations the rewrite quantises (the calibration's targets). */
export function quantisationPlan(model: Model): QuantisationPlan {
  const graph = model.graph;
  if (!graph) throw new ExportError('the model has no graph');
  const initializers = new Map((graph.initializer ?? []).map((t) => [t.name ?? '', t]));
  const consumers = consumersOf(graph.node ?? []);
  const outputs = new Set((graph.output ?? []).map((o) => o.name ?? ''));
  const convs: string[] = [];
  const activations = new Set<string>();
  for (const n of graph.node ?? []) {
    if (n.opType !== 'Conv') continue;
    const weight = initializers.get(n.input?.[1] ?? '');
    if (!weight) continue;
    if (Number(weight.dims?.[0] ?? 0) < MIN_QUANTISED_CHANNELS) continue;
    convs.push(n.name ?? '');
    activations.add(n.input![0]);
    activations.add(quantisedOutput(n, consumers, outputs));
  }
  return { convs, activations: [...activations] };
}

/** The Conv's output, or its Relu's when a Relu is its only consumer (folded into the fused convolution). */
function quantisedOutput(conv: Node, consumers: Map<string, Node[]>, graphOutputs: Set<string>): string {
  const out = conv.output![0];
  const next = consumers.get(out) ?? [];
  if (next.length === 1 && next[0].opType === 'Relu' && !graphOutputs.has(out)) return next[0].output![0];
  return out;
}

/** uint8 asymmetric quantisation of [min, max] (widened to hold 0, which must be exact for padding). */
export function activationQuantisation([min, max]: ActivationRange): { scale: number; zeroPoint: number } {
  const lo = Math.min(0, min);
  const hi = Math.max(0, max);
  const scale = hi > lo ? (hi - lo) / 255 : 1;
  const zeroPoint = Math.max(0, Math.min(255, Math.round(-lo / scale)));
  return { scale, zeroPoint };
}

/** Per-output-channel symmetric int8 weights: q = round(w / scale), scale = max|w| / 127. */
export function quantiseWeights(w: Float32Array, channels: number): { values: Int8Array; scales: Float32Array } {
  const per = w.length / channels;
  const values = new Int8Array(w.length);
  const scales = new Float32Array(channels);
  for (let c = 0; c < channels; c++) {
    let m = 0;
    for (let i = c * per; i < (c + 1) * per; i++) m = Math.max(m, Math.abs(w[i]));
    const scale = m > 0 ? m / 127 : 1;
    scales[c] = scale;
    for (let i = c * per; i < (c + 1) * per; i++) values[i] = Math.max(-127, Math.min(127, Math.round(w[i] / scale)));
  }
  return { values, scales };
}

const INT32_LIMIT = 2 ** 31 - 1;

function bytesOf(view: ArrayBufferView): Uint8Array {
  return new Uint8Array(view.buffer, view.byteOffset, view.byteLength).slice();
}

/**
 * The QDQ model: `ranges` holds a calibrated range for each of the plan's activations. The fp32
 * model is not changed; its metadata is kept, with `pneumo.quantisation` added.
 */
export function quantiseQdq(
  fp32: Uint8Array,
  ranges: ReadonlyMap<string, ActivationRange>,
  description: Record<string, unknown>,
): Uint8Array {
  const model = onnx.ModelProto.decode(fp32);
  const graph = model.graph!;
  const plan = quantisationPlan(model);
  const quantised = new Set(plan.convs);
  const initializers = new Map((graph.initializer ?? []).map((t) => [t.name ?? '', t]));
  const added: Tensor[] = [];
  const constant = (name: string, dataType: number, dims: number[], raw: Uint8Array): string => {
    added.push({ name, dataType, dims, rawData: raw });
    return name;
  };

  // Activation pairs: t -> Q -> DQ -> t_dq; every reader of t reads t_dq instead.
  const params = new Map<string, { scale: number; zeroPoint: number; dq: string }>();
  const pairs = new Map<string, Node[]>();
  for (const t of plan.activations) {
    const range = ranges.get(t);
    if (!range) throw new ExportError(`no calibrated range for activation ${t}`);
    const { scale, zeroPoint } = activationQuantisation(range);
    const s = constant(`${t}/scale`, DT.FLOAT, [], bytesOf(Float32Array.of(scale)));
    const z = constant(`${t}/zero_point`, DT.UINT8, [], Uint8Array.of(zeroPoint));
    const dq = `${t}/dequantized`;
    pairs.set(t, [
      { opType: 'QuantizeLinear', name: `${t}/QuantizeLinear`, input: [t, s, z], output: [`${t}/quantized`] },
      { opType: 'DequantizeLinear', name: `${t}/DequantizeLinear`, input: [`${t}/quantized`, s, z], output: [dq] },
    ]);
    params.set(t, { scale, zeroPoint, dq });
  }
  const graphOutputs = new Set((graph.output ?? []).map((o) => o.name ?? ''));
  for (const t of graphOutputs) if (params.has(t)) throw new ExportError(`graph output ${t} would be quantised`);

  const weightNodes: Node[] = [];
  const nodes: Node[] = [];
  for (const n of graph.node ?? []) {
    const input = (n.input ?? []).map((i) => params.get(i)?.dq ?? i);
    if (n.opType === 'Conv' && quantised.has(n.name ?? '')) {
      const weight = initializers.get(n.input![1])!;
      const dims = (weight.dims ?? []).map(Number);
      const channels = dims[0];
      const { values, scales } = quantiseWeights(floatValues(weight), channels);
      const w = weight.name!;
      const zeros = new Int8Array(channels);
      constant(`${w}/int8`, DT.INT8, dims, bytesOf(values));
      constant(`${w}/scale`, DT.FLOAT, [channels], bytesOf(scales));
      constant(`${w}/zero_point`, DT.INT8, [channels], bytesOf(zeros));
      weightNodes.push({
        opType: 'DequantizeLinear',
        name: `${w}/DequantizeLinear`,
        input: [`${w}/int8`, `${w}/scale`, `${w}/zero_point`],
        output: [`${w}/dequantized`],
        attribute: [{ name: 'axis', type: onnx.AttributeProto.AttributeType.INT, i: 0 }],
      });
      input[1] = `${w}/dequantized`;
      const bias = n.input![2] ? initializers.get(n.input![2]) : undefined;
      if (bias) {
        const inputScale = params.get(n.input![0])!.scale;
        const b = floatValues(bias);
        const biasScales = scales.map((s) => s * inputScale);
        const q = Int32Array.from(b, (v, c) =>
          Math.max(-INT32_LIMIT, Math.min(INT32_LIMIT, Math.round(v / biasScales[c]))),
        );
        const name = bias.name!;
        constant(`${name}/int32`, DT.INT32, [channels], bytesOf(q));
        constant(`${name}/scale`, DT.FLOAT, [channels], bytesOf(biasScales));
        constant(`${name}/zero_point`, DT.INT32, [channels], bytesOf(new Int32Array(channels)));
        weightNodes.push({
          opType: 'DequantizeLinear',
          name: `${name}/DequantizeLinear`,
          input: [`${name}/int32`, `${name}/scale`, `${name}/zero_point`],
          output: [`${name}/dequantized`],
          attribute: [{ name: 'axis', type: onnx.AttributeProto.AttributeType.INT, i: 0 }],
        });
        input[2] = `${name}/dequantized`;
      }
    }
    nodes.push({ ...n, input });
    // The pair goes right after the node that makes the tensor (the graph stays topologically sorted).
    for (const out of n.output ?? []) nodes.push(...(pairs.get(out) ?? []));
  }
  // A pair on the graph input goes first.
  const inputPairs = (graph.input ?? []).flatMap((i) => pairs.get(i.name ?? '') ?? []);
  graph.node = [...weightNodes, ...inputPairs, ...nodes];
  // The fp32 weights of quantised convolutions are no longer read.
  const read = new Set(graph.node.flatMap((n) => n.input ?? []));
  graph.initializer = [...(graph.initializer ?? []).filter((t) => read.has(t.name ?? '')), ...added];
  model.metadataProps = [
    ...(model.metadataProps ?? []).filter((p) => p.key !== 'pneumo.quantisation'),
    onnx.StringStringEntryProto.create({
      key: 'pneumo.quantisation',
      value: JSON.stringify({ ...description, convolutions: plan.convs.length, activations: plan.activations.length }),
    }),
  ];
  return onnx.ModelProto.encode(model).finish();
}

/** The fp32 model with each listed activation added as a graph output (what calibration reads). */
export function withActivationOutputs(fp32: Uint8Array, names: readonly string[]): Uint8Array {
  const model = onnx.ModelProto.decode(fp32);
  const graph = model.graph!;
  const existing = new Set((graph.output ?? []).map((o) => o.name ?? ''));
  graph.output = [
    ...(graph.output ?? []),
    ...names.filter((n) => !existing.has(n)).map((name) => ({ name, type: { tensorType: { elemType: DT.FLOAT } } })),
  ];
  return onnx.ModelProto.encode(model).finish();
}
