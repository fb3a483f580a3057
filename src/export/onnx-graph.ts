// An ONNX graph under construction, serialised with onnx-proto (the protobuf classes generated from
// onnx.proto): nodes, initializers (weights as raw little-endian bytes), typed inputs and outputs,
// and the model's metadata. Only what the exporter needs: float32 and int64 tensors, NCHW images.
import onnxProto from 'onnx-proto';

const { onnx } = onnxProto;

/** IR version 8 is the one that opsets up to 17 belong to (onnx 1.12). */
export const ONNX_IR_VERSION = 8;
export const MIN_OPSET = 13;
export const MAX_OPSET = 17;

export type AttributeValue = number | string | readonly number[] | { float: number };

/** One dimension of a graph input or output: a size, or a symbolic name (the dynamic batch). */
export type GraphDim = number | string;

export interface GraphValueInfo {
  name: string;
  dims: readonly GraphDim[];
  /** float32 unless said otherwise. */
  type?: 'float32' | 'int64';
}

const ELEM_TYPE = { float32: onnx.TensorProto.DataType.FLOAT, int64: onnx.TensorProto.DataType.INT64 } as const;

function attribute(name: string, value: AttributeValue): onnxProto.onnx.IAttributeProto {
  const A = onnx.AttributeProto.AttributeType;
  if (typeof value === 'string') return { name, type: A.STRING, s: new TextEncoder().encode(value) };
  if (typeof value === 'number') {
    if (!Number.isInteger(value)) throw new Error(`attribute ${name}: ${value} is not an integer (use {float})`);
    return { name, type: A.INT, i: value };
  }
  if ('float' in value) return { name, type: A.FLOAT, f: value.float };
  return { name, type: A.INTS, ints: [...value] };
}

function valueInfo(v: GraphValueInfo): onnxProto.onnx.IValueInfoProto {
  return {
    name: v.name,
    type: {
      tensorType: {
        elemType: ELEM_TYPE[v.type ?? 'float32'],
        shape: { dim: v.dims.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) },
      },
    },
  };
}

export class OnnxGraph {
  readonly #nodes: onnxProto.onnx.INodeProto[] = [];
  readonly #initializers: onnxProto.onnx.ITensorProto[] = [];
  readonly #initializerNames = new Set<string>();
  readonly #used = new Set<string>();
  #counter = 0;

  /** A value name not used before, built from a hint. */
  fresh(hint: string): string {
    const base = hint.replace(/[^A-Za-z0-9_.:/-]/g, '_') || 'v';
    let name: string;
    do name = `${base}_${this.#counter++}`;
    while (this.#used.has(name));
    this.#used.add(name);
    return name;
  }

  hasInitializer(name: string): boolean {
    return this.#initializerNames.has(name);
  }

  /** A float32 or int64 constant held in the file, under `name` (which must be new). */
  addInitializer(name: string, values: Float32Array | BigInt64Array, dims: readonly number[]): string {
    if (this.#initializerNames.has(name)) throw new Error(`initializer ${name} added twice`);
    const count = dims.reduce((a, b) => a * b, 1);
    if (count !== values.length) throw new Error(`initializer ${name}: ${values.length} values for dims [${dims}]`);
    this.#initializerNames.add(name);
    this.#used.add(name);
    this.#initializers.push({
      name,
      dims: [...dims],
      dataType: values instanceof Float32Array ? ELEM_TYPE.float32 : ELEM_TYPE.int64,
      // The generated encoder copies the bytes; the view must not outlive `values`.
      rawData: new Uint8Array(values.buffer, values.byteOffset, values.byteLength),
    });
    return name;
  }

  /** An int64 constant (shapes, pads, axes), as a new initializer. */
  int64s(hint: string, values: readonly number[]): string {
    return this.addInitializer(this.fresh(hint), BigInt64Array.from(values.map(BigInt)), [values.length]);
  }

  /** A float32 constant; a scalar when dims is []. */
  floats(hint: string, values: readonly number[], dims: readonly number[] = [values.length]): string {
    return this.addInitializer(this.fresh(hint), Float32Array.from(values), dims);
  }

  /** Appends a node; inputs given as '' are ONNX's absent optional inputs. */
  node(
    opType: string,
    inputs: readonly string[],
    outputs: readonly string[],
    attributes: Record<string, AttributeValue | undefined> = {},
    name?: string,
  ): void {
    for (const o of outputs) this.#used.add(o);
    this.#nodes.push({
      opType,
      name: name ?? this.fresh(opType),
      input: [...inputs],
      output: [...outputs],
      attribute: Object.entries(attributes)
        .filter((e): e is [string, AttributeValue] => e[1] !== undefined)
        .map(([k, v]) => attribute(k, v)),
    });
  }

  get nodeCount(): number {
    return this.#nodes.length;
  }

  /** Op types used, with their counts (for reports and tests). */
  opCounts(): Record<string, number> {
    const counts: Record<string, number> = {};
    for (const n of this.#nodes) counts[n.opType!] = (counts[n.opType!] ?? 0) + 1;
    return counts;
  }

  /** The serialised ModelProto. */
  encode(options: {
    name: string;
    inputs: readonly GraphValueInfo[];
    outputs: readonly GraphValueInfo[];
    opset: number;
    producerVersion: string;
    docString?: string;
    metadata: Record<string, string>;
  }): Uint8Array {
    if (!Number.isInteger(options.opset) || options.opset < MIN_OPSET || options.opset > MAX_OPSET)
      throw new Error(`opset ${options.opset} is not supported (${MIN_OPSET}..${MAX_OPSET})`);
    const model = onnx.ModelProto.create({
      irVersion: ONNX_IR_VERSION,
      opsetImport: [{ domain: '', version: options.opset }],
      producerName: 'pneumo',
      producerVersion: options.producerVersion,
      docString: options.docString ?? '',
      graph: {
        name: options.name,
        node: this.#nodes,
        initializer: this.#initializers,
        input: options.inputs.map(valueInfo),
        output: options.outputs.map(valueInfo),
      },
      metadataProps: Object.entries(options.metadata).map(([key, value]) => ({ key, value })),
    });
    return onnx.ModelProto.encode(model).finish();
  }
}

/** Reads a model's metadata_props back (tests, and the reading room's loader checks). */
export function readOnnxMetadata(bytes: Uint8Array): {
  metadata: Record<string, string>;
  opset: number;
  inputs: string[];
  outputs: string[];
  opTypes: string[];
} {
  const model = onnx.ModelProto.decode(bytes);
  return {
    metadata: Object.fromEntries(model.metadataProps.map((p) => [p.key, p.value])),
    opset: Number(model.opsetImport[0]?.version ?? 0),
    inputs: (model.graph?.input ?? []).map((v) => v.name ?? ''),
    outputs: (model.graph?.output ?? []).map((v) => v.name ?? ''),
    opTypes: [...new Set((model.graph?.node ?? []).map((n) => n.opType ?? ''))],
  };
}
