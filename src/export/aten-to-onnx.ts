// One recorded ATen op to ONNX nodes, for the ops that pneumo's models (src/models) and the
// predictor's output stage call in eval mode. The arguments arrive in the ATen schema's order, as
// src/torch/ops passes them. An op without a converter is an ExportError naming it, never a silently
// wrong graph. Returns the value name of each tensor the op returned (an op that changes nothing,
// such as contiguous or eval-mode dropout, returns its input's name and adds no node).
import type { OpArg } from '../torch/dispatch.js';
import type { OnnxGraph } from './onnx-graph.js';
import { ExportError } from './export-error.js';

export interface ConvertContext {
  graph: OnnxGraph;
  /** `aten::name.overload`. */
  op: string;
  args: readonly OpArg[];
  /** The traced batch size when the batch is dynamic (shapes starting with it get -1), else null. */
  batch: number | null;
  /** The value name of tensor argument i (a graph value or an initializer). */
  value(i: number): string;
  values(i: number): string[];
  shape(i: number): number[];
  outputShapes: number[][];
  /** Fresh names for the op's results. */
  outputs: string[];
  nodeName(opType: string): string;
}

const num = (c: ConvertContext, i: number): number => {
  const v = c.args[i];
  if (typeof v === 'number') return v;
  if (typeof v === 'boolean') return v ? 1 : 0;
  throw new ExportError(`${c.op}: argument ${i} is not a number`);
};
const ints = (c: ConvertContext, i: number): number[] => {
  const v = c.args[i];
  if (!Array.isArray(v) || !v.every((x) => typeof x === 'number'))
    throw new ExportError(`${c.op}: argument ${i} is not a list of integers`);
  return v as number[];
};
const isNull = (c: ConvertContext, i: number) => c.args[i] === null || c.args[i] === undefined;

/** Emits one node producing the op's first result. */
function single(c: ConvertContext, opType: string, inputs: string[], attrs: Parameters<OnnxGraph['node']>[3] = {}) {
  c.graph.node(opType, inputs, [c.outputs[0]], attrs, c.nodeName(opType));
  return [c.outputs[0]];
}

/** A scalar or tensor operand (argument i) as a value name. */
function operand(c: ConvertContext, i: number): string {
  const v = c.args[i];
  if (typeof v === 'number') return c.graph.floats('scalar', [v], []);
  return c.value(i);
}

/** Multiplies a value by alpha unless alpha is 1 (add/sub's `alpha`). */
function scaled(c: ConvertContext, value: string, alpha: number): string {
  if (alpha === 1) return value;
  const out = c.graph.fresh('scaled');
  c.graph.node('Mul', [value, c.graph.floats('alpha', [alpha], [])], [out], {}, c.nodeName('Mul'));
  return out;
}

/** A reshape target for ONNX: the traced batch (first dimension) becomes -1 when the batch is dynamic. */
function reshapeTarget(c: ConvertContext, target: readonly number[]): number[] {
  const input = c.shape(0);
  const total = input.reduce((a, b) => a * b, 1);
  const known = target.filter((d) => d !== -1).reduce((a, b) => a * b, 1);
  const concrete = target.map((d) => (d === -1 ? total / known : d));
  if (c.batch === null) return concrete;
  if (concrete[0] !== c.batch || input[0] !== c.batch)
    throw new ExportError(
      `${c.op}: reshape to [${target}] does not keep the batch first; export without dynamic batch`,
    );
  return [-1, ...concrete.slice(1)];
}

/** torch's pad list (last dimension first, before/after pairs) as ONNX pads (all begins, then all ends). */
function onnxPads(c: ConvertContext, torchPads: readonly number[]): number[] {
  const rank = c.shape(0).length;
  const begins = new Array<number>(rank).fill(0);
  const ends = new Array<number>(rank).fill(0);
  for (let k = 0; k < torchPads.length / 2; k++) {
    begins[rank - 1 - k] = torchPads[2 * k];
    ends[rank - 1 - k] = torchPads[2 * k + 1];
  }
  if ([...begins, ...ends].some((p) => p < 0)) throw new ExportError(`${c.op}: negative padding`);
  return [...begins, ...ends];
}

const alias = (c: ConvertContext) => [c.value(0)];

const pads2d = (p: readonly number[]) => [p[0], p[1], p[0], p[1]];

function resize(
  c: ConvertContext,
  mode: 'nearest' | 'linear',
  alignCorners: boolean,
  sizeArg: number,
  scaleArg: number,
) {
  const [, , h, w] = c.shape(0);
  let scales: number[];
  if (!isNull(c, scaleArg)) {
    const s = c.args[scaleArg] as number[];
    scales = [1, 1, s[0], s[1]];
  } else {
    const [oh, ow] = ints(c, sizeArg);
    scales = [1, 1, oh / h, ow / w];
  }
  const attrs =
    mode === 'nearest'
      ? { mode: 'nearest', coordinate_transformation_mode: 'asymmetric', nearest_mode: 'floor' }
      : { mode: 'linear', coordinate_transformation_mode: alignCorners ? 'align_corners' : 'pytorch_half_pixel' };
  return single(c, 'Resize', [c.value(0), '', c.graph.floats('scales', scales)], attrs);
}

type Converter = (c: ConvertContext) => (string | undefined)[];

const CONVERTERS: Record<string, Converter> = {
  'aten::conv2d': (c) => {
    const weight = c.shape(1);
    return single(c, 'Conv', isNull(c, 2) ? [c.value(0), c.value(1)] : [c.value(0), c.value(1), c.value(2)], {
      kernel_shape: weight.slice(2),
      strides: ints(c, 3),
      pads: pads2d(ints(c, 4)),
      dilations: ints(c, 5),
      group: num(c, 6),
    });
  },
  'aten::conv_transpose2d.input': (c) => {
    const weight = c.shape(1);
    return single(c, 'ConvTranspose', isNull(c, 2) ? [c.value(0), c.value(1)] : [c.value(0), c.value(1), c.value(2)], {
      kernel_shape: weight.slice(2),
      strides: ints(c, 3),
      pads: pads2d(ints(c, 4)),
      output_padding: ints(c, 5),
      group: num(c, 6),
      dilations: ints(c, 7),
    });
  },
  'aten::linear': (c) => {
    if (c.shape(0).length !== 2) throw new ExportError(`${c.op}: only 2-D inputs are exported`);
    const inputs = [c.value(0), c.value(1)];
    if (!isNull(c, 2)) inputs.push(c.value(2));
    return single(c, 'Gemm', inputs, { transB: 1 });
  },
  'aten::batch_norm': (c) => {
    if (c.args[5] === true) throw new ExportError(`${c.op}: batch statistics (training mode) cannot be exported`);
    if (isNull(c, 3) || isNull(c, 4)) throw new ExportError(`${c.op}: batch norm without running statistics`);
    const channels = c.shape(0)[1];
    const weight = isNull(c, 1) ? c.graph.floats('bn_scale', new Array(channels).fill(1)) : c.value(1);
    const bias = isNull(c, 2) ? c.graph.floats('bn_bias', new Array(channels).fill(0)) : c.value(2);
    return single(c, 'BatchNormalization', [c.value(0), weight, bias, c.value(3), c.value(4)], {
      epsilon: { float: num(c, 7) },
    });
  },
  'aten::relu': (c) => single(c, 'Relu', [c.value(0)]),
  'aten::relu_': (c) => single(c, 'Relu', [c.value(0)]),
  'aten::sigmoid': (c) => single(c, 'Sigmoid', [c.value(0)]),
  'aten::tanh': (c) => single(c, 'Tanh', [c.value(0)]),
  'aten::silu': (c) => {
    const gate = c.graph.fresh('silu_gate');
    c.graph.node('Sigmoid', [c.value(0)], [gate], {}, c.nodeName('Sigmoid'));
    return single(c, 'Mul', [c.value(0), gate]);
  },
  'aten::hardtanh': (c) =>
    single(c, 'Clip', [c.value(0), c.graph.floats('min', [num(c, 1)], []), c.graph.floats('max', [num(c, 2)], [])]),
  'aten::leaky_relu': (c) => single(c, 'LeakyRelu', [c.value(0)], { alpha: { float: num(c, 1) } }),
  'aten::max_pool2d': (c) =>
    single(c, 'MaxPool', [c.value(0)], {
      kernel_shape: ints(c, 1),
      strides: ints(c, 2).length ? ints(c, 2) : ints(c, 1),
      pads: pads2d(ints(c, 3)),
      dilations: ints(c, 4),
      ceil_mode: num(c, 5),
    }),
  'aten::avg_pool2d': (c) => {
    if (!isNull(c, 6)) throw new ExportError(`${c.op}: divisor_override`);
    return single(c, 'AveragePool', [c.value(0)], {
      kernel_shape: ints(c, 1),
      strides: ints(c, 2).length ? ints(c, 2) : ints(c, 1),
      pads: pads2d(ints(c, 3)),
      ceil_mode: num(c, 4),
      count_include_pad: num(c, 5),
    });
  },
  'aten::adaptive_avg_pool2d': (c) => {
    const [oh, ow] = ints(c, 1);
    if (oh === 1 && ow === 1) return single(c, 'GlobalAveragePool', [c.value(0)]);
    const [, , h, w] = c.shape(0);
    if (h % oh !== 0 || w % ow !== 0)
      throw new ExportError(`${c.op}: output ${oh}x${ow} does not divide the input ${h}x${w}`);
    return single(c, 'AveragePool', [c.value(0)], { kernel_shape: [h / oh, w / ow], strides: [h / oh, w / ow] });
  },
  'aten::adaptive_max_pool2d': (c) => {
    const [oh, ow] = ints(c, 1);
    if (oh !== 1 || ow !== 1) throw new ExportError(`${c.op}: only a global (1x1) max pool is exported`);
    // The indices (second result) have no ONNX counterpart here; a graph that reads them fails on use.
    return [...single(c, 'GlobalMaxPool', [c.value(0)]), undefined];
  },
  'aten::upsample_nearest2d.vec': (c) => resize(c, 'nearest', false, 1, 2),
  'aten::upsample_bilinear2d.vec': (c) => resize(c, 'linear', c.args[2] === true, 1, 3),
  'aten::dropout': (c) => {
    if (c.args[2] === true && num(c, 1) > 0) throw new ExportError(`${c.op}: dropout in training mode`);
    return alias(c);
  },
  'aten::contiguous': alias,
  'aten::clone': alias,
  'aten::to.dtype': (c) => {
    // DType code 6 is float32 (c10::ScalarType::Float): the only dtype a graph value has here.
    if (c.args[1] !== 6) throw new ExportError(`${c.op}: conversion to a type other than float32`);
    return alias(c);
  },
  'aten::cat': (c) => single(c, 'Concat', c.values(0), { axis: num(c, 1) }),
  'aten::add.Tensor': (c) => single(c, 'Add', [c.value(0), scaled(c, operand(c, 1), num(c, 2))]),
  'aten::add.Scalar': (c) => single(c, 'Add', [c.value(0), c.graph.floats('scalar', [num(c, 1) * num(c, 2)], [])]),
  'aten::sub.Tensor': (c) => single(c, 'Sub', [c.value(0), scaled(c, operand(c, 1), num(c, 2))]),
  'aten::sub.Scalar': (c) => single(c, 'Sub', [c.value(0), c.graph.floats('scalar', [num(c, 1) * num(c, 2)], [])]),
  'aten::rsub.Scalar': (c) =>
    single(c, 'Sub', [c.graph.floats('scalar', [num(c, 1)], []), scaled(c, c.value(0), num(c, 2))]),
  'aten::mul.Tensor': (c) => single(c, 'Mul', [c.value(0), operand(c, 1)]),
  'aten::mul.Scalar': (c) => single(c, 'Mul', [c.value(0), operand(c, 1)]),
  'aten::div.Tensor': (c) => single(c, 'Div', [c.value(0), operand(c, 1)]),
  'aten::div.Scalar': (c) => single(c, 'Div', [c.value(0), operand(c, 1)]),
  'aten::matmul': (c) => single(c, 'MatMul', [c.value(0), c.value(1)]),
  'aten::reshape': (c) => single(c, 'Reshape', [c.value(0), c.graph.int64s('shape', reshapeTarget(c, ints(c, 1)))]),
  'aten::view': (c) => single(c, 'Reshape', [c.value(0), c.graph.int64s('shape', reshapeTarget(c, ints(c, 1)))]),
  'aten::flatten.using_ints': (c) => {
    const rank = c.shape(0).length;
    const start = (num(c, 1) + rank) % rank;
    const end = (num(c, 2) + rank) % rank;
    if (start === 1 && end === rank - 1) return single(c, 'Flatten', [c.value(0)], { axis: 1 });
    return single(c, 'Reshape', [c.value(0), c.graph.int64s('shape', reshapeTarget(c, c.outputShapes[0]))]);
  },
  'aten::slice.Tensor': (c) => {
    const dim = num(c, 1);
    const size = c.shape(0)[(dim + c.shape(0).length) % c.shape(0).length];
    const start = isNull(c, 2) ? 0 : Math.max(-size, Math.min(size, num(c, 2)));
    const end = isNull(c, 3) ? size : Math.max(-size, Math.min(size, num(c, 3)));
    return single(c, 'Slice', [
      c.value(0),
      c.graph.int64s('starts', [start]),
      c.graph.int64s('ends', [end]),
      c.graph.int64s('axes', [dim]),
      c.graph.int64s('steps', [num(c, 4)]),
    ]);
  },
  'aten::narrow': (c) => {
    const start = num(c, 2);
    return single(c, 'Slice', [
      c.value(0),
      c.graph.int64s('starts', [start]),
      c.graph.int64s('ends', [start + num(c, 3)]),
      c.graph.int64s('axes', [num(c, 1)]),
    ]);
  },
  'aten::flip': (c) => {
    const dims = ints(c, 1);
    return single(c, 'Slice', [
      c.value(0),
      c.graph.int64s(
        'starts',
        dims.map(() => -1),
      ),
      c.graph.int64s(
        'ends',
        dims.map(() => -(2 ** 62)),
      ),
      c.graph.int64s('axes', dims),
      c.graph.int64s(
        'steps',
        dims.map(() => -1),
      ),
    ]);
  },
  'aten::constant_pad_nd': (c) =>
    single(
      c,
      'Pad',
      [c.value(0), c.graph.int64s('pads', onnxPads(c, ints(c, 1))), c.graph.floats('value', [num(c, 2)], [])],
      {
        mode: 'constant',
      },
    ),
  'aten::reflection_pad2d': (c) =>
    single(c, 'Pad', [c.value(0), c.graph.int64s('pads', onnxPads(c, ints(c, 1)))], { mode: 'reflect' }),
  'aten::replication_pad2d': (c) =>
    single(c, 'Pad', [c.value(0), c.graph.int64s('pads', onnxPads(c, ints(c, 1)))], { mode: 'edge' }),
  'aten::topk': (c) => {
    const values = c.outputs[0];
    const indices = c.outputs[1];
    c.graph.node(
      'TopK',
      [c.value(0), c.graph.int64s('k', [num(c, 1)])],
      [values, indices],
      {
        axis: num(c, 2),
        largest: num(c, 3),
        sorted: num(c, 4),
      },
      c.nodeName('TopK'),
    );
    return [values, indices];
  },
  'aten::mean.dim': (c) => {
    if (!isNull(c, 3)) throw new ExportError(`${c.op}: mean with a dtype`);
    return single(c, 'ReduceMean', [c.value(0)], { axes: ints(c, 1), keepdims: num(c, 2) });
  },
  'aten::mean': (c) => single(c, 'ReduceMean', [c.value(0)], { keepdims: 0 }),
  'aten::sum.dim_IntList': (c) =>
    single(c, 'ReduceSum', [c.value(0), c.graph.int64s('axes', ints(c, 1))], { keepdims: num(c, 2) }),
  'aten::unsqueeze': (c) => single(c, 'Unsqueeze', [c.value(0), c.graph.int64s('axes', [num(c, 1)])]),
  'aten::squeeze.dim': (c) => single(c, 'Squeeze', [c.value(0), c.graph.int64s('axes', [num(c, 1)])]),
  'aten::exp': (c) => single(c, 'Exp', [c.value(0)]),
  'aten::neg': (c) => single(c, 'Neg', [c.value(0)]),
};

/** The ONNX nodes for one recorded op; see the file comment. */
export function convertOp(c: ConvertContext): (string | undefined)[] {
  const converter = CONVERTERS[c.op];
  if (!converter) throw new ExportError(`${c.op} has no ONNX export (exported ops: ${Object.keys(CONVERTERS).length})`);
  return converter(c);
}

/** The ATen ops the exporter converts. */
export const EXPORTED_OPS: readonly string[] = Object.keys(CONVERTERS);
