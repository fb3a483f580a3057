// A minimal safetensors reader (8-byte little-endian header length, JSON header, raw little-endian
// data), standing in until src/torch/safetensors.ts lands on main from the optim branch; then
// pretrained.ts switches to it and this file goes.
import { readFile } from 'node:fs/promises';
import * as torch from '../torch/index.js';
import type { DType } from '../torch/index.js';

export class SafetensorsError extends Error {
  override name = 'SafetensorsError';
}

const DTYPES: Record<string, { dtype: DType; bytes: number; view: (b: ArrayBuffer) => ArrayBufferView }> = {
  F32: { dtype: 'float32', bytes: 4, view: (b) => new Float32Array(b) },
  F64: { dtype: 'float64', bytes: 8, view: (b) => new Float64Array(b) },
  F16: { dtype: 'float16', bytes: 2, view: (b) => new Uint16Array(b) },
  BF16: { dtype: 'bfloat16', bytes: 2, view: (b) => new Uint16Array(b) },
  I64: { dtype: 'int64', bytes: 8, view: (b) => new BigInt64Array(b) },
  I32: { dtype: 'int32', bytes: 4, view: (b) => new Int32Array(b) },
  U8: { dtype: 'uint8', bytes: 1, view: (b) => new Uint8Array(b) },
  BOOL: { dtype: 'bool', bytes: 1, view: (b) => new Uint8Array(b) },
};

interface HeaderEntry {
  dtype: string;
  shape: number[];
  data_offsets: [number, number];
}

/** Every tensor of a .safetensors file (owned by the caller: dispose them) and its metadata. */
export async function readSafetensors(
  file: string,
): Promise<{ tensors: Map<string, torch.Tensor>; metadata: Record<string, string> }> {
  let bytes: Buffer;
  try {
    bytes = await readFile(file);
  } catch (err) {
    throw new SafetensorsError(
      `${file}: cannot read (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`,
    );
  }
  const fail = (reason: string): never => {
    throw new SafetensorsError(`${file}: not a valid safetensors file (${reason})`);
  };
  if (bytes.length < 8) fail(`${bytes.length} bytes, shorter than the header length`);
  const headerLength = Number(bytes.readBigUInt64LE(0));
  if (headerLength > bytes.length - 8) fail(`header of ${headerLength} bytes in a file of ${bytes.length}`);
  let header: Record<string, unknown>;
  try {
    header = JSON.parse(bytes.subarray(8, 8 + headerLength).toString('utf8')) as Record<string, unknown>;
  } catch (err) {
    return fail(`header is not JSON: ${(err as Error).message}`);
  }
  const dataStart = 8 + headerLength;
  const metadata = (header.__metadata__ ?? {}) as Record<string, string>;
  const tensors = new Map<string, torch.Tensor>();
  try {
    for (const [name, value] of Object.entries(header)) {
      if (name === '__metadata__') continue;
      const entry = value as HeaderEntry;
      const kind = DTYPES[entry?.dtype];
      if (!kind) fail(`tensor ${name}: unsupported dtype ${String(entry?.dtype)}`);
      const [begin, end] = entry.data_offsets ?? [];
      const count = (entry.shape ?? []).reduce((a, b) => a * b, 1);
      if (!(Number.isInteger(begin) && Number.isInteger(end) && begin <= end && dataStart + end <= bytes.length))
        fail(`tensor ${name}: data offsets [${begin}, ${end}] outside the file`);
      if (end - begin !== count * kind.bytes)
        fail(`tensor ${name}: ${end - begin} bytes for shape [${entry.shape.join(', ')}] of ${entry.dtype}`);
      // A copy into a fresh buffer: the element views need alignment the file does not promise.
      const copy = new ArrayBuffer(end - begin);
      new Uint8Array(copy).set(bytes.subarray(dataStart + begin, dataStart + end));
      tensors.set(name, torch.tensor(kind.view(copy), entry.shape, kind.dtype).keep());
    }
  } catch (err) {
    for (const t of tensors.values()) t.dispose();
    throw err;
  }
  return { tensors, metadata };
}
