// A model's forward as an ONNX graph: the forward runs once on an example input while every ATen op
// it calls is recorded (torch's dispatch observer), and each recorded op becomes ONNX nodes
// (aten-to-onnx.ts). Tensors the graph input does not reach (weights, constants, anything computed
// from weights alone) become initializers, weights under their state-dict names; so the exported
// graph is the module tree's own computation, with parameter-only arithmetic already folded. Node
// names carry the module path whose forward was running (encoder.layer1.0/Conv_12).
import * as torch from '../torch/index.js';
import { observeOps, type OpArg, type OpResult } from '../torch/dispatch.js';
import type { Module } from '../torch/nn/index.js';
import { OnnxGraph, type GraphValueInfo } from './onnx-graph.js';
import { convertOp, type ConvertContext } from './aten-to-onnx.js';
import { ExportError } from './export-error.js';

export interface TraceOptions {
  /** The graph's input name and example tensor (float32, NCHW). */
  input: { name: string; example: torch.Tensor };
  /** Names of the outputs, in the order `forward` returns them. */
  outputs: readonly string[];
  /** The first dimension of the input and outputs becomes the symbolic `batch`. */
  dynamicBatch: boolean;
}

export interface TracedGraph {
  graph: OnnxGraph;
  inputs: GraphValueInfo[];
  outputs: GraphValueInfo[];
}

export { ExportError };

const tensorsIn = (args: readonly OpArg[] | OpResult): torch.Tensor[] => {
  const list = Array.isArray(args) ? args : [args];
  return list.flatMap((a) => (a instanceof torch.Tensor ? [a] : Array.isArray(a) ? tensorsIn(a as OpArg[]) : []));
};

/** Runs fn with each module's forward wrapped so that the innermost running module's path is known. */
function withModulePaths<T>(model: Module, stack: string[], fn: () => T): T {
  const wrapped: Module[] = [];
  for (const [name, m] of model.namedModules()) {
    const original = (m as unknown as { forward?: (...a: unknown[]) => unknown }).forward;
    if (typeof original !== 'function') continue;
    const bound = original.bind(m);
    Object.defineProperty(m, 'forward', {
      value: (...args: unknown[]) => {
        stack.push(name);
        try {
          return bound(...args);
        } finally {
          stack.pop();
        }
      },
      configurable: true,
      writable: true,
    });
    wrapped.push(m);
  }
  try {
    return fn();
  } finally {
    for (const m of wrapped) delete (m as { forward?: unknown }).forward;
  }
}

/**
 * Traces `forward(example)` of an eval-mode model into an ONNX graph. `forward` returns the tensors
 * named by `options.outputs`, in order.
 */
export function traceToOnnx(
  model: Module,
  forward: (input: torch.Tensor) => torch.Tensor | readonly torch.Tensor[],
  options: TraceOptions,
): TracedGraph {
  if (model.training) throw new ExportError('export needs a model in eval mode');
  const graph = new OnnxGraph();
  const example = options.input.example;
  const batch = example.shape[0];
  const values = new Map<torch.Tensor, string>([[example, options.input.name]]);
  const shapes = new Map<string, number[]>([[options.input.name, example.shape]]);
  const weightNames = new Map<torch.Tensor, string>();
  for (const [key, t] of model.stateDict()) if (!weightNames.has(t)) weightNames.set(t, key);
  const constants = new Map<torch.Tensor, string>();
  const modulePath: string[] = [];

  // A tensor outside the graph: an initializer holding its values (named as in the state dict if it is a weight).
  const constantOf = (t: torch.Tensor): string => {
    const known = constants.get(t);
    if (known) return known;
    const weightName = weightNames.get(t);
    const name = weightName && !graph.hasInitializer(weightName) ? weightName : graph.fresh(weightName ?? 'const');
    const data = t.dtype === 'int64' ? (t.data() as BigInt64Array) : t.toFloat32Array();
    graph.addInitializer(name, data, t.shape);
    constants.set(t, name);
    return name;
  };

  const record = (name: string, overload: string, args: readonly OpArg[], result: OpResult) => {
    if (!tensorsIn(args).some((t) => values.has(t))) return;
    const results = tensorsIn(result);
    const scope = modulePath.at(-1) ?? '';
    const context: ConvertContext = {
      graph,
      op: overload ? `${name}.${overload}` : name,
      args,
      batch: options.dynamicBatch ? batch : null,
      value(i) {
        const a = args[i];
        if (!(a instanceof torch.Tensor)) throw new ExportError(`${context.op}: argument ${i} is not a tensor`);
        return values.get(a) ?? constantOf(a);
      },
      values(i) {
        const list = args[i];
        if (!Array.isArray(list)) throw new ExportError(`${context.op}: argument ${i} is not a tensor list`);
        return list.map((t) => {
          if (!(t instanceof torch.Tensor)) throw new ExportError(`${context.op}: argument ${i} holds a non-tensor`);
          return values.get(t) ?? constantOf(t);
        });
      },
      shape(i) {
        const a = args[i];
        if (!(a instanceof torch.Tensor)) throw new ExportError(`${context.op}: argument ${i} is not a tensor`);
        return a.shape;
      },
      outputShapes: results.map((t) => t.shape),
      outputs: results.map(() => graph.fresh(`${scope ? scope + '/' : ''}${name.replace(/^aten::/, '')}`)),
      nodeName: (opType) => graph.fresh(`${scope ? scope + '/' : ''}${opType}`),
    };
    const produced = convertOp(context);
    results.forEach((t, i) => {
      if (produced[i] === undefined) return;
      values.set(t, produced[i]);
      shapes.set(produced[i], t.shape);
    });
    // In-place ops (relu_) change their first argument: later uses read the new value.
    if (name.endsWith('_') && args[0] instanceof torch.Tensor && produced[0]) values.set(args[0], produced[0]);
  };

  const returned = torch.noGrad(() =>
    torch.scope(() => {
      const out = withModulePaths(model, modulePath, () => observeOps(record, () => forward(example)));
      const list = out instanceof torch.Tensor ? [out] : [...out];
      return list.map((t) => ({ name: values.get(t), shape: t.shape }));
    }),
  );
  if (returned.length !== options.outputs.length)
    throw new ExportError(`forward returned ${returned.length} tensors, expected ${options.outputs.length}`);
  const dims = (shape: readonly number[]) =>
    shape.map((d, i) => (options.dynamicBatch && i === 0 && d === batch ? 'batch' : d));
  const outputs = returned.map(({ name, shape }, i) => {
    if (!name) throw new ExportError(`output ${options.outputs[i]} does not depend on the input`);
    // Graph outputs get their own names through an Identity, whatever node made them.
    graph.node('Identity', [name], [options.outputs[i]], {}, graph.fresh(`output/${options.outputs[i]}`));
    return { name: options.outputs[i], dims: dims(shape) };
  });
  return { graph, inputs: [{ name: options.input.name, dims: dims(example.shape) }], outputs };
}
