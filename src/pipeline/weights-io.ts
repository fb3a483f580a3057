// Interim safetensors reading and writing for the bundle, until src/torch/safetensors.ts
// (`loadSafetensors` / `saveSafetensors`, branch optim) is on main; then this file re-exports those
// and nothing else in the pipeline changes. The format: an 8-byte little-endian header length, a JSON
// header {name: {dtype, shape, data_offsets: [begin, end]}, __metadata__?: {string: string}}, then
// the raw little-endian tensor bytes.
import { open, readFile, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import * as torch from '../torch/index.js';
import type { DType } from '../torch/index.js';

export class WeightsFileError extends Error {
  override name = 'WeightsFileError';
  constructor(
    readonly file: string,
    reason: string,
  ) {
    super(`${path.basename(file)}: ${reason}`);
  }
}

const DTYPE_OF_CODE: Record<string, DType> = {
  F32: 'float32',
  F64: 'float64',
  F16: 'float16',
  BF16: 'bfloat16',
  I64: 'int64',
  I32: 'int32',
  U8: 'uint8',
  BOOL: 'bool',
};
const CODE_OF_DTYPE = Object.fromEntries(Object.entries(DTYPE_OF_CODE).map(([code, dtype]) => [dtype, code])) as Record<
  DType,
  string
>;
const BYTES: Record<DType, number> = {
  float32: 4,
  float64: 8,
  float16: 2,
  bfloat16: 2,
  int64: 8,
  int32: 4,
  uint8: 1,
  bool: 1,
};

export interface WeightsEntry {
  dtype: DType;
  shape: number[];
  begin: number;
  end: number;
}

export interface WeightsHeader {
  entries: Map<string, WeightsEntry>;
  metadata: Record<string, string>;
  /** Byte offset of the data section. */
  dataStart: number;
}

function parseHeader(file: string, bytes: Buffer, fileSize: number): WeightsHeader {
  if (bytes.length < 8)
    throw new WeightsFileError(file, 'not a safetensors file (shorter than its 8-byte header length)');
  const length = Number(bytes.readBigUInt64LE(0));
  if (length <= 0 || 8 + length > fileSize)
    throw new WeightsFileError(
      file,
      `not a safetensors file (header length ${length} does not fit a ${fileSize}-byte file)`,
    );
  let json: unknown;
  try {
    json = JSON.parse(bytes.subarray(8, 8 + length).toString('utf8'));
  } catch (err) {
    throw new WeightsFileError(file, `safetensors header is not JSON (${(err as Error).message})`);
  }
  if (json === null || typeof json !== 'object' || Array.isArray(json))
    throw new WeightsFileError(file, 'safetensors header is not a JSON object');
  const dataStart = 8 + length;
  const entries = new Map<string, WeightsEntry>();
  let metadata: Record<string, string> = {};
  for (const [name, value] of Object.entries(json as Record<string, unknown>)) {
    if (name === '__metadata__') {
      metadata = (value ?? {}) as Record<string, string>;
      continue;
    }
    const v = value as { dtype?: string; shape?: number[]; data_offsets?: number[] };
    const dtype = DTYPE_OF_CODE[v?.dtype ?? ''];
    if (!dtype) throw new WeightsFileError(file, `tensor ${name}: unsupported dtype ${String(v?.dtype)}`);
    const [begin, end] = v.data_offsets ?? [];
    const count = (v.shape ?? []).reduce((a, b) => a * b, 1);
    if (!Array.isArray(v.shape) || end - begin !== count * BYTES[dtype] || dataStart + end > fileSize)
      throw new WeightsFileError(
        file,
        `tensor ${name}: shape and data offsets do not agree or run past the end of the file`,
      );
    entries.set(name, { dtype, shape: v.shape, begin, end });
  }
  return { entries, metadata, dataStart };
}

/** The names, dtypes and shapes in a file, without reading the tensor data. */
export async function readWeightsHeader(file: string): Promise<WeightsHeader> {
  let handle;
  try {
    handle = await open(file, 'r');
  } catch (err) {
    throw new WeightsFileError(file, `cannot be read (${(err as NodeJS.ErrnoException).code ?? String(err)})`);
  }
  try {
    const { size } = await handle.stat();
    const head = Buffer.alloc(Math.min(size, 8));
    await handle.read(head, 0, head.length, 0);
    const length = head.length === 8 ? Number(head.readBigUInt64LE(0)) : 0;
    const bytes = Buffer.alloc(Math.min(size, 8 + Math.max(0, Math.min(length, size))));
    await handle.read(bytes, 0, bytes.length, 0);
    return parseHeader(file, bytes, size);
  } finally {
    await handle.close();
  }
}

/** Every tensor of a file, kept out of any scope: the caller disposes them. */
export async function readWeights(file: string): Promise<Map<string, torch.Tensor>> {
  let bytes: Buffer;
  try {
    bytes = await readFile(file);
  } catch (err) {
    throw new WeightsFileError(file, `cannot be read (${(err as NodeJS.ErrnoException).code ?? String(err)})`);
  }
  const header = parseHeader(file, bytes, bytes.length);
  const out = new Map<string, torch.Tensor>();
  for (const [name, e] of header.entries) {
    // Copy into an aligned buffer: typed arrays need their element alignment.
    const raw = new Uint8Array(e.end - e.begin);
    raw.set(bytes.subarray(header.dataStart + e.begin, header.dataStart + e.end));
    const view = typedView(e.dtype, raw.buffer);
    out.set(name, torch.tensor(view, e.shape, e.dtype).keep());
  }
  return out;
}

function typedView(dtype: DType, buffer: ArrayBuffer): ArrayBufferView {
  switch (dtype) {
    case 'float32':
      return new Float32Array(buffer);
    case 'float64':
      return new Float64Array(buffer);
    case 'int64':
      return new BigInt64Array(buffer);
    case 'int32':
      return new Int32Array(buffer);
    case 'float16':
    case 'bfloat16':
      return new Uint16Array(buffer);
    default:
      return new Uint8Array(buffer);
  }
}

/** Writes tensors in the given order, atomically (temp file + rename). */
export async function writeWeights(
  file: string,
  tensors: ReadonlyMap<string, torch.Tensor>,
  metadata: Record<string, string> = {},
): Promise<void> {
  const header: Record<string, unknown> = {};
  if (Object.keys(metadata).length > 0) header.__metadata__ = metadata;
  const chunks: Uint8Array[] = [];
  let offset = 0;
  for (const [name, t] of tensors) {
    const data = t.data();
    const bytes = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
    header[name] = { dtype: CODE_OF_DTYPE[t.dtype], shape: t.shape, data_offsets: [offset, offset + bytes.length] };
    chunks.push(bytes);
    offset += bytes.length;
  }
  let json = JSON.stringify(header);
  json += ' '.repeat((8 - ((8 + Buffer.byteLength(json)) % 8)) % 8); // data starts 8-byte aligned
  const length = Buffer.alloc(8);
  length.writeBigUInt64LE(BigInt(Buffer.byteLength(json)));
  const temporary = `${file}.${process.pid}.tmp`;
  await writeFile(temporary, Buffer.concat([length, Buffer.from(json, 'utf8'), ...chunks]));
  await rename(temporary, file);
}
