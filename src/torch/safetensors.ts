// The safetensors format (Hugging Face): an 8-byte little-endian header length, a JSON header
// {name: {dtype, shape, data_offsets: [begin, end]}, __metadata__?: {string: string}} padded with spaces
// to a multiple of 8 bytes, then the raw little-endian data, offsets counted from the end of the header.
// Written the way the reference implementation writes it (tensors ordered by dtype, largest first, then
// name, so every tensor starts aligned) and checked the way it checks on reading (offsets contiguous and
// covering the data exactly).
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { FileError } from '../file-error.js';
import { writeFileAtomic } from '../atomic-file.js';
import { Tensor } from './tensor.js';
import { native } from './native.js';
import { BYTES_PER_ELEMENT, DTYPE_CODE, type DType } from './dtype.js';
import { fileErrorReason } from '../file-error.js';

const NAME_OF_DTYPE: Record<DType, string> = {
  bool: 'BOOL',
  uint8: 'U8',
  float16: 'F16',
  bfloat16: 'BF16',
  int32: 'I32',
  float32: 'F32',
  float64: 'F64',
  int64: 'I64',
};
const DTYPE_OF_NAME = new Map(Object.entries(NAME_OF_DTYPE).map(([dtype, name]) => [name, dtype as DType]));
// The reference writer sorts by its Dtype enum, descending: I64, F64, F32, I32, BF16, F16, U8, BOOL.
const WRITE_RANK: Record<DType, number> = {
  int64: 7,
  float64: 6,
  float32: 5,
  int32: 4,
  bfloat16: 3,
  float16: 2,
  uint8: 1,
  bool: 0,
};
// The reference reader refuses larger headers; so do we, before allocating anything.
const MAX_HEADER_BYTES = 100_000_000;

export class SafetensorsError extends FileError {
  override name = 'SafetensorsError';
}

export interface SafetensorsEntry {
  dtype: DType;
  shape: number[];
  /** Byte range in the data section, which starts at `dataStart` in the file. */
  dataOffsets: [number, number];
}

export interface SafetensorsHeader {
  tensors: Map<string, SafetensorsEntry>;
  metadata: Record<string, string>;
  /** File offset of the data section. */
  dataStart: number;
}

function readExactly(fd: number, length: number, position: number, file: string, what: string): Buffer {
  const buffer = Buffer.allocUnsafe(length);
  let done = 0;
  while (done < length) {
    const n = readSync(fd, buffer, done, length - done, position + done);
    if (n === 0) throw new SafetensorsError(file, `file ends inside the ${what}`);
    done += n;
  }
  return buffer;
}

function parseHeader(fd: number, file: string): SafetensorsHeader {
  const size = fstatSync(fd).size;
  if (size < 8) throw new SafetensorsError(file, `too short to be a safetensors file (${size} bytes)`);
  const length = readExactly(fd, 8, 0, file, 'header length').readBigUInt64LE(0);
  if (length > BigInt(MAX_HEADER_BYTES))
    throw new SafetensorsError(file, `header length ${length} is too large (corrupt file, or not safetensors)`);
  const headerBytes = Number(length);
  if (8 + headerBytes > size)
    throw new SafetensorsError(file, `header length ${headerBytes} runs past the end of the file (${size} bytes)`);
  const text = readExactly(fd, headerBytes, 8, file, 'header').toString('utf8');
  if (!text.startsWith('{')) throw new SafetensorsError(file, 'header is not a JSON object');
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new SafetensorsError(file, `header is not valid JSON (${(err as Error).message})`);
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json))
    throw new SafetensorsError(file, 'header is not a JSON object');
  const dataStart = 8 + headerBytes;
  const tensors = new Map<string, SafetensorsEntry>();
  let metadata: Record<string, string> = {};
  for (const [name, value] of Object.entries(json as Record<string, unknown>)) {
    if (name === '__metadata__') {
      if (
        typeof value !== 'object' ||
        value === null ||
        Array.isArray(value) ||
        Object.values(value).some((v) => typeof v !== 'string')
      )
        throw new SafetensorsError(file, '__metadata__ must map strings to strings');
      metadata = value as Record<string, string>;
      continue;
    }
    tensors.set(name, parseEntry(name, value, file));
  }
  // As the reference reader: in offset order, each tensor starts where the previous ended, and the
  // last one ends at the end of the file.
  let expected = 0;
  for (const [name, entry] of [...tensors].sort(
    (a, b) => a[1].dataOffsets[0] - b[1].dataOffsets[0] || a[1].dataOffsets[1] - b[1].dataOffsets[1],
  )) {
    const [begin, end] = entry.dataOffsets;
    if (begin !== expected)
      throw new SafetensorsError(
        file,
        `tensor ${name} starts at data offset ${begin}, expected ${expected} (gap or overlap)`,
      );
    expected = end;
  }
  if (dataStart + expected !== size)
    throw new SafetensorsError(
      file,
      `the tensors cover ${expected} data bytes but the file holds ${size - dataStart} (truncated or padded file)`,
    );
  return { tensors, metadata, dataStart };
}

function parseEntry(name: string, value: unknown, file: string): SafetensorsEntry {
  const fail = (reason: string): never => {
    throw new SafetensorsError(file, `tensor ${name}: ${reason}`);
  };
  if (typeof value !== 'object' || value === null) fail('entry is not an object');
  const { dtype, shape, data_offsets: offsets } = value as Record<string, unknown>;
  const type = typeof dtype === 'string' ? DTYPE_OF_NAME.get(dtype) : undefined;
  if (!type) fail(`unsupported dtype ${JSON.stringify(dtype)} (supported: ${[...DTYPE_OF_NAME.keys()].join(', ')})`);
  if (!Array.isArray(shape) || !shape.every((d) => Number.isSafeInteger(d) && d >= 0))
    fail(`invalid shape ${JSON.stringify(shape)}`);
  if (
    !Array.isArray(offsets) ||
    offsets.length !== 2 ||
    !offsets.every((o) => Number.isSafeInteger(o) && o >= 0) ||
    offsets[1] < offsets[0]
  )
    fail(`invalid data_offsets ${JSON.stringify(offsets)}`);
  const [begin, end] = offsets as [number, number];
  const bytes = (shape as number[]).reduce((a, b) => a * b, 1) * BYTES_PER_ELEMENT[type!];
  if (end - begin !== bytes)
    fail(`data_offsets [${begin}, ${end}] hold ${end - begin} bytes but ${type} [${shape}] needs ${bytes}`);
  return { dtype: type!, shape: shape as number[], dataOffsets: [begin, end] };
}

function withFile<T>(file: string, fn: (fd: number) => T): T {
  let fd: number;
  try {
    fd = openSync(file, 'r');
  } catch (err) {
    throw new SafetensorsError(file, `cannot open (${fileErrorReason(err)})`);
  }
  try {
    return fn(fd);
  } finally {
    closeSync(fd);
  }
}

/** The tensor names, dtypes, shapes and metadata of a file, without reading its data. */
export function readSafetensorsHeader(file: string): SafetensorsHeader {
  return withFile(file, (fd) => parseHeader(fd, file));
}

/** Every tensor of a file (CPU, owned by the current scope) and its `__metadata__`. */
export function loadSafetensorsWithMetadata(file: string): {
  tensors: Map<string, Tensor>;
  metadata: Record<string, string>;
} {
  return withFile(file, (fd) => {
    const header = parseHeader(fd, file);
    const tensors = new Map<string, Tensor>();
    try {
      // One tensor at a time, so the JS side never holds more than the largest tensor.
      for (const [name, entry] of header.tensors) {
        const [begin, end] = entry.dataOffsets;
        const bytes = readExactly(fd, end - begin, header.dataStart + begin, file, `data of tensor ${name}`);
        tensors.set(name, new Tensor(native.fromBuffer(bytes, DTYPE_CODE[entry.dtype], entry.shape)));
      }
    } catch (err) {
      for (const t of tensors.values()) t.dispose();
      throw err;
    }
    return { tensors, metadata: header.metadata };
  });
}

/** Every tensor of a safetensors file, by name (CPU, owned by the current scope). */
export function loadSafetensors(file: string): Map<string, Tensor> {
  return loadSafetensorsWithMetadata(file).tensors;
}

/**
 * Writes tensors (any device; copied to the CPU) and optional string metadata to a safetensors file.
 * The file appears complete or not at all (writeFileAtomic: a flushed temporary file renamed over it).
 */
export function saveSafetensors(
  file: string,
  tensors: ReadonlyMap<string, Tensor>,
  metadata?: Record<string, string>,
): void {
  if (metadata && Object.entries(metadata).some(([, v]) => typeof v !== 'string'))
    throw new SafetensorsError(file, 'metadata values must be strings');
  const entries = [...tensors].sort(
    ([nameA, a], [nameB, b]) =>
      WRITE_RANK[b.dtype] - WRITE_RANK[a.dtype] || (nameA < nameB ? -1 : nameA > nameB ? 1 : 0),
  );
  // Built by hand so that keys stay in data order (a JS object would move integer-like names first).
  const fields: string[] = [];
  if (metadata && Object.keys(metadata).length > 0) fields.push(`"__metadata__":${JSON.stringify(metadata)}`);
  let offset = 0;
  for (const [name, t] of entries) {
    if (name === '' || name === '__metadata__')
      throw new SafetensorsError(file, `invalid tensor name ${JSON.stringify(name)}`);
    const bytes = t.numel * BYTES_PER_ELEMENT[t.dtype];
    const entry = { dtype: NAME_OF_DTYPE[t.dtype], shape: t.shape, data_offsets: [offset, offset + bytes] };
    fields.push(`${JSON.stringify(name)}:${JSON.stringify(entry)}`);
    offset += bytes;
  }
  let json = Buffer.from(`{${fields.join(',')}}`, 'utf8');
  const padding = (8 - (json.length % 8)) % 8;
  if (padding > 0) json = Buffer.concat([json, Buffer.alloc(padding, 0x20)]);
  const length = Buffer.alloc(8);
  length.writeBigUInt64LE(BigInt(json.length));

  try {
    writeFileAtomic(file, (write) => {
      write(length);
      write(json);
      // One tensor at a time, so the JS side never holds more than the largest tensor.
      for (const [, t] of entries) {
        const data = t.data();
        write(new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
      }
    });
  } catch (err) {
    throw new SafetensorsError(file, `cannot write (${fileErrorReason(err)})`);
  }
}
