// PyTorch checkpoint files (`torch.save`) read without Python and without running anything they name.
// Two formats: the zip archive of PyTorch >= 1.6 (`PREFIX/data.pkl`, `PREFIX/data/KEY` per storage,
// `PREFIX/version`, and since 2.1 `PREFIX/byteorder`), and the legacy stream of earlier versions (a
// magic number, protocol and system-info pickles, the object's pickle, the sorted list of storage
// keys, then each storage as an int64 element count and its little-endian bytes). The object pickle is
// read by the restricted unpickler (pickle.ts) with an allow-list of the globals checkpoints use.
//
// Three shapes of content give a state dict: a state dict itself; a dict holding one (`state_dict`,
// `model_state_dict`, `model`, `net`, as timm and training scripts save); or a whole pickled
// nn.Module, whose `_parameters`, `_buffers` and `_modules` are walked into dotted names as
// Module.state_dict() does. Tensors are views (storage, offset, shape, strides) until read, so a
// checkpoint's optimizer state and other entries cost nothing.
import { closeSync, fstatSync, openSync, readFileSync, readSync, statSync } from 'node:fs';
import { Tensor } from './tensor.js';
import { native } from './native.js';
import { BYTES_PER_ELEMENT, DTYPE_CODE, type DType } from './dtype.js';
import { PickleError, PickleGlobal, PickleObject, unpickle, type Reducer } from './pickle.js';
import { ZipArchive, ZipError } from './zip-archive.js';
import { fileErrorReason } from '../file-error.js';

export class CheckpointError extends Error {
  override name = 'CheckpointError';
  constructor(
    readonly file: string,
    readonly reason: string,
  ) {
    // Names in a damaged file can hold any character; the message stays one printable line.
    super(
      `${file}: ${reason.replace(/[\u0000-\u001f\u007f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`)}`,
    );
  }
}

export type CheckpointLayout = 'state-dict' | 'module' | `wrapped:${string}`;

export interface TorchCheckpoint {
  /** The state dict, in the file's order (CPU tensors owned by the current scope). */
  tensors: Map<string, Tensor>;
  /** Which of the three shapes held it (`wrapped:KEY` names the dict key). */
  layout: CheckpointLayout;
  format: 'zip' | 'legacy';
}

/** Keys under which training scripts keep the state dict, in the order they are tried. */
export const WRAPPED_STATE_DICT_KEYS = ['state_dict', 'model_state_dict', 'model', 'net'] as const;

const STORAGE_DTYPES: Record<string, DType> = {
  FloatStorage: 'float32',
  DoubleStorage: 'float64',
  HalfStorage: 'float16',
  BFloat16Storage: 'bfloat16',
  LongStorage: 'int64',
  IntStorage: 'int32',
  ByteStorage: 'uint8',
  BoolStorage: 'bool',
  UntypedStorage: 'uint8',
};

// Magic number and protocol version of the legacy format (torch/serialization.py).
const LEGACY_MAGIC = 0x1950a86a20f9469cfc6cn;
const LEGACY_PROTOCOL = 1001;
// The legacy stream is read whole, and Node reads at most this much into one buffer.
const LEGACY_MAX_BYTES = 2 ** 31 - 1;
// A tensor may read at most as many elements as its storage holds, and all tensors together at most
// this many times the storage bytes: real checkpoints read each storage about once, so this bounds
// what a hostile file of overlapping views can make us allocate.
const MAX_READ_FACTOR = 4;
// libtorch's own limit on dimensions.
const MAX_DIMS = 64;

/** A storage: its element type and count, and its bytes when first needed. */
class Storage {
  #bytes: Buffer | null = null;
  constructor(
    readonly dtype: DType,
    readonly numel: number,
    private readonly load: () => Buffer,
  ) {}
  get bytes(): Buffer {
    this.#bytes ??= this.load();
    return this.#bytes;
  }
}

/** A tensor as the pickle describes it, not yet read. */
class TensorRef {
  constructor(
    readonly storage: Storage,
    readonly offset: number,
    readonly shape: number[],
    readonly stride: number[],
  ) {}
}

/** A short description of an unpickled value for an error message (JSON cannot show a bigint). */
function show(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}...` : value);
  if (Array.isArray(value)) return `[${value.slice(0, 8).map(show).join(', ')}${value.length > 8 ? ', ...' : ''}]`;
  if (value === null || typeof value !== 'object') return String(value);
  return value.constructor.name;
}

function isIntegerArray(value: unknown): value is number[] {
  return Array.isArray(value) && value.every((v) => Number.isSafeInteger(v) && (v as number) >= 0);
}

function rebuildTensor(args: unknown[]): TensorRef {
  const [storage, offset, shape, stride] = args;
  if (!(storage instanceof Storage)) throw new PickleError('a tensor is rebuilt from something that is not a storage');
  if (!Number.isSafeInteger(offset) || (offset as number) < 0)
    throw new PickleError(`tensor storage offset ${String(offset)}`);
  if (!isIntegerArray(shape) || !isIntegerArray(stride) || shape.length !== stride.length || shape.length > MAX_DIMS)
    throw new PickleError(`tensor shape ${show(shape)} and strides ${show(stride)} do not fit`);
  return new TensorRef(storage, offset as number, shape, stride);
}

const inert =
  (name: string): Reducer =>
  (args) =>
    new PickleObject(name, args);

/** What the allow-listed globals mean; any other call is refused by the unpickler. */
function reducers(): Map<string, Reducer> {
  const table = new Map<string, Reducer>([
    ['collections.OrderedDict', () => new Map()],
    ['torch._utils._rebuild_tensor', rebuildTensor],
    ['torch._utils._rebuild_tensor_v2', rebuildTensor],
    ['torch._utils._rebuild_parameter', (args) => args[0]],
    ['torch._utils._rebuild_parameter_with_state', (args) => args[0]],
    ['torch.Size', (args) => (Array.isArray(args[0]) ? args[0] : [])],
    ['torch.device', (args) => args.join(':')],
    ['builtins.set', (args) => (Array.isArray(args[0]) ? [...(args[0] as unknown[])] : [])],
    ['builtins.frozenset', (args) => (Array.isArray(args[0]) ? [...(args[0] as unknown[])] : [])],
    [
      '_codecs.encode',
      (args) => {
        if (typeof args[0] !== 'string') throw new PickleError('_codecs.encode of a value that is not a string');
        return Buffer.from(args[0], 'latin1');
      },
    ],
    [
      'copyreg._reconstructor',
      (args) => {
        if (!(args[0] instanceof PickleGlobal))
          throw new PickleError('copyreg._reconstructor of something that is not a class');
        return new PickleObject(args[0].path, []);
      },
    ],
    // NumPy values in a training script's metadata (a best metric): kept inert, never interpreted.
    ['numpy.core.multiarray.scalar', inert('numpy.core.multiarray.scalar')],
    ['numpy.core.multiarray._reconstruct', inert('numpy.ndarray')],
    ['numpy.dtype', inert('numpy.dtype')],
    // NumPy 2 pickles the same functions under numpy._core.
    ['numpy._core.multiarray.scalar', inert('numpy.core.multiarray.scalar')],
    ['numpy._core.multiarray._reconstruct', inert('numpy.ndarray')],
  ]);
  // Tensors with attributes or of a subclass: (rebuild function, class, its arguments, state); the
  // function must be allowed too, and the class and state are ignored.
  const fromType: Reducer = (args) => {
    const [fn, , fnArgs] = args;
    const inner = fn instanceof PickleGlobal ? table.get(fn.path) : undefined;
    if (!inner || !Array.isArray(fnArgs))
      throw new PickleError(
        `refused to call ${fn instanceof PickleGlobal ? fn.path : 'a non-global'} inside _rebuild_from_type_v2`,
      );
    return inner(fnArgs);
  };
  table.set('torch._tensor._rebuild_from_type_v2', fromType);
  table.set('torch._tensor._rebuild_from_type', fromType);
  return table;
}

function storageDtype(type: unknown): DType {
  const name = type instanceof PickleGlobal && type.module === 'torch' ? type.name : undefined;
  const dtype = name === undefined ? undefined : STORAGE_DTYPES[name];
  if (!dtype)
    throw new PickleError(
      `unsupported storage type ${type instanceof PickleGlobal ? type.path : String(type)} (supported: ${Object.keys(STORAGE_DTYPES).join(', ')})`,
    );
  return dtype;
}

function storageNumel(numel: unknown): number {
  if (!Number.isSafeInteger(numel) || (numel as number) < 0) throw new PickleError(`storage size ${String(numel)}`);
  return numel as number;
}

function swapBytes(bytes: Buffer, size: number): Buffer {
  const out = Buffer.from(bytes);
  if (size === 2) out.swap16();
  else if (size === 4) out.swap32();
  else if (size === 8) out.swap64();
  return out;
}

/** Reads referenced tensors into contiguous libtorch tensors, within the allocation bound. */
class TensorReader {
  #budget: number;
  constructor(
    storageBytes: number,
    private readonly bigEndian: boolean,
  ) {
    this.#budget = MAX_READ_FACTOR * storageBytes + (1 << 20);
  }

  read(ref: TensorRef, name: string): Tensor {
    const { storage, offset, shape, stride } = ref;
    const size = BYTES_PER_ELEMENT[storage.dtype];
    let numel = 1;
    let last = offset;
    for (let i = 0; i < shape.length; i++) {
      numel *= shape[i];
      if (shape[i] > 0) last += (shape[i] - 1) * stride[i];
    }
    if (!Number.isSafeInteger(numel) || !Number.isSafeInteger(last))
      throw new PickleError(`tensor ${name}: shape [${shape}] is too large`);
    if (numel > 0 && last >= storage.numel)
      throw new PickleError(
        `tensor ${name}: shape [${shape}], strides [${stride}] at offset ${offset} reach past its storage of ${storage.numel} elements`,
      );
    if (numel > Math.max(storage.numel, 1))
      throw new PickleError(
        `tensor ${name}: ${numel} elements from a storage of ${storage.numel} (overlapping strides are not supported)`,
      );
    this.#budget -= numel * size;
    if (this.#budget < 0)
      throw new PickleError(`tensor ${name}: the tensors read far more bytes than the storages hold`);
    let bytes = numel === 0 ? Buffer.alloc(0) : this.#gather(storage.bytes, size, offset, shape, stride, numel);
    if (this.bigEndian && size > 1) bytes = swapBytes(bytes, size);
    return new Tensor(native.fromBuffer(bytes, DTYPE_CODE[storage.dtype], shape));
  }

  #gather(source: Buffer, size: number, offset: number, shape: number[], stride: number[], numel: number): Buffer {
    let contiguous = true;
    for (let i = shape.length - 1, expected = 1; i >= 0; i--) {
      if (shape[i] !== 1 && stride[i] !== expected) contiguous = false;
      expected *= shape[i];
    }
    if (contiguous) return source.subarray(offset * size, (offset + numel) * size);
    const out = Buffer.allocUnsafe(numel * size);
    const index = new Array<number>(shape.length).fill(0);
    let at = offset;
    for (let n = 0; n < numel; n++) {
      source.copy(out, n * size, at * size, at * size + size);
      for (let d = shape.length - 1; d >= 0; d--) {
        index[d]++;
        at += stride[d];
        if (index[d] < shape[d]) break;
        at -= stride[d] * shape[d];
        index[d] = 0;
      }
    }
    return out;
  }
}

function isStateDict(value: unknown): value is Map<unknown, unknown> {
  if (!(value instanceof Map) || value.size === 0) return false;
  let tensors = 0;
  for (const [key, v] of value) {
    if (typeof key !== 'string') return false;
    if (v instanceof TensorRef) tensors++;
    else if (v !== null) return false;
  }
  return tensors > 0;
}

function moduleState(value: unknown): Map<unknown, unknown> | null {
  if (!(value instanceof PickleObject)) return null;
  // BUILD's state is the instance __dict__, or (__dict__, slots) for classes with __slots__.
  const state = Array.isArray(value.state) ? value.state[0] : value.state;
  return state instanceof Map && state.get('_parameters') instanceof Map ? state : null;
}

/** Module.state_dict() of a pickled module: parameters, persistent buffers, then submodules, depth first. */
function walkModule(root: PickleObject): Map<string, TensorRef> {
  const out = new Map<string, TensorRef>();
  const seen = new Set<PickleObject>();
  const visit = (module: PickleObject, prefix: string, depth: number): void => {
    if (seen.has(module)) return;
    if (depth > 200) throw new PickleError(`modules nested more than 200 deep at ${prefix}`);
    seen.add(module);
    const state = moduleState(module);
    if (!state) throw new PickleError(`${prefix || 'the pickled object'} (${module.className}) is not an nn.Module`);
    const nonPersistent = state.get('_non_persistent_buffers_set');
    const skip = new Set(Array.isArray(nonPersistent) ? nonPersistent : []);
    for (const field of ['_parameters', '_buffers']) {
      const entries = state.get(field);
      if (!(entries instanceof Map)) continue;
      for (const [name, tensor] of entries) {
        if (tensor === null || (field === '_buffers' && skip.has(name))) continue;
        if (!(tensor instanceof TensorRef)) throw new PickleError(`${prefix}${String(name)} is not a tensor`);
        out.set(`${prefix}${String(name)}`, tensor);
      }
    }
    const children = state.get('_modules');
    if (children instanceof Map)
      for (const [name, child] of children) {
        if (child === null) continue;
        if (!(child instanceof PickleObject))
          throw new PickleError(`submodule ${prefix}${String(name)} is not a module`);
        visit(child, `${prefix}${String(name)}.`, depth + 1);
      }
  };
  visit(root, '', 0);
  return out;
}

/** The state dict inside the unpickled object, and which shape it had. */
function findStateDict(value: unknown): { refs: Map<string, TensorRef>; layout: CheckpointLayout } {
  if (isStateDict(value)) return { refs: value as Map<string, TensorRef>, layout: 'state-dict' };
  if (moduleState(value)) return { refs: walkModule(value as PickleObject), layout: 'module' };
  if (value instanceof Map) {
    for (const key of WRAPPED_STATE_DICT_KEYS) {
      const inner = value.get(key);
      if (isStateDict(inner)) return { refs: inner as Map<string, TensorRef>, layout: `wrapped:${key}` };
      if (moduleState(inner)) return { refs: walkModule(inner as PickleObject), layout: `wrapped:${key}` };
    }
    const keys = [...value.keys()].slice(0, 12).map(show);
    throw new PickleError(
      `holds a dict with keys [${keys.join(', ')}${value.size > 12 ? ', ...' : ''}] but no state dict (looked under ${WRAPPED_STATE_DICT_KEYS.join(', ')})`,
    );
  }
  const what =
    value instanceof PickleObject ? `a ${value.className} object` : Array.isArray(value) ? 'a list' : typeof value;
  throw new PickleError(`holds ${what}, not a state dict, a dict holding one, or an nn.Module`);
}

function readZip(file: string): { value: unknown; storageBytes: number; bigEndian: boolean; close: () => void } {
  const archive = ZipArchive.open(file);
  try {
    const pickle = [...archive.records.keys()].find((name) => /^[^/]+\/data\.pkl$/.test(name));
    if (!pickle) {
      const kind = [...archive.records.keys()].some((n) => n.endsWith('constants.pkl'))
        ? ' (a TorchScript archive: torch.jit.save)'
        : '';
      throw new PickleError(`zip archive without a data.pkl record${kind}`);
    }
    const prefix = pickle.slice(0, -'data.pkl'.length);
    const byteorder = archive.records.has(`${prefix}byteorder`)
      ? archive.read(`${prefix}byteorder`).toString('latin1')
      : 'little';
    if (byteorder !== 'little' && byteorder !== 'big')
      throw new PickleError(`byteorder record says ${JSON.stringify(byteorder)}`);
    const storages = new Map<string, Storage>();
    let storageBytes = 0;
    const persistentLoad = (pid: unknown): Storage => {
      if (!Array.isArray(pid) || pid[0] !== 'storage' || pid.length < 5)
        throw new PickleError('persistent id is not a storage');
      const [, type, key, , numelValue] = pid;
      if (typeof key !== 'string') throw new PickleError('storage key is not a string');
      const known = storages.get(key);
      if (known) return known;
      const dtype = storageDtype(type);
      const numel = storageNumel(numelValue);
      const name = `${prefix}data/${key}`;
      const record = archive.records.get(name);
      if (!record) throw new PickleError(`storage ${key} has no record ${name}`);
      const bytes = numel * BYTES_PER_ELEMENT[dtype];
      if (record.size < bytes)
        throw new PickleError(`record ${name} holds ${record.size} bytes, its storage needs ${bytes}`);
      storageBytes += bytes;
      const storage = new Storage(dtype, numel, () => archive.read(name).subarray(0, bytes));
      storages.set(key, storage);
      return storage;
    };
    const { value } = unpickle(archive.read(pickle), { reducers: reducers(), persistentLoad });
    return { value, storageBytes, bigEndian: byteorder === 'big', close: () => archive.close() };
  } catch (err) {
    archive.close();
    throw err;
  }
}

function readLegacy(data: Buffer): { value: unknown; storageBytes: number } {
  const plain = { reducers: new Map<string, Reducer>() };
  let { value, end } = unpickle(data, plain);
  if (value !== LEGACY_MAGIC) throw new PickleError('invalid legacy magic number');
  ({ value, end } = unpickle(data, plain, end));
  if (value !== LEGACY_PROTOCOL)
    throw new PickleError(`legacy protocol version ${String(value)}, expected ${LEGACY_PROTOCOL}`);
  // System info (sizes of C types, byte order): the data that follows is little-endian whatever the writer.
  ({ end } = unpickle(data, plain, end));
  // Storages are met in the pickle before their bytes, which follow it.
  const roots = new Map<string, { storage: Storage; bytes: Buffer | null }>();
  const views = new Map<string, Storage>();
  const persistentLoad = (pid: unknown): unknown => {
    if (!Array.isArray(pid)) throw new PickleError('persistent id is not a tuple');
    if (pid[0] === 'module') return pid[1];
    if (pid[0] !== 'storage' || pid.length < 6) throw new PickleError('persistent id is not a storage');
    const [, type, key, , numelValue, view] = pid;
    if (typeof key !== 'string') throw new PickleError('storage key is not a string');
    let root = roots.get(key);
    if (!root) {
      const entry: { storage: Storage; bytes: Buffer | null } = { storage: null as unknown as Storage, bytes: null };
      entry.storage = new Storage(storageDtype(type), storageNumel(numelValue), () => {
        if (!entry.bytes) throw new PickleError(`storage ${key} is used but never written`);
        return entry.bytes;
      });
      roots.set(key, (root = entry));
    }
    if (view === null || view === undefined) return root.storage;
    if (!Array.isArray(view) || typeof view[0] !== 'string') throw new PickleError('storage view metadata is damaged');
    const viewKey = view[0];
    const known = views.get(viewKey);
    if (known) return known;
    const [offset, count] = [storageNumel(view[1]), storageNumel(view[2])];
    const parent = root.storage;
    if (offset + count > parent.numel) throw new PickleError(`storage view ${viewKey} reaches past storage ${key}`);
    const size = BYTES_PER_ELEMENT[parent.dtype];
    const storage = new Storage(parent.dtype, count, () =>
      parent.bytes.subarray(offset * size, (offset + count) * size),
    );
    views.set(viewKey, storage);
    return storage;
  };
  ({ value, end } = unpickle(data, { reducers: reducers(), persistentLoad }, end));
  const { value: keys, end: dataStart } = unpickle(data, plain, end);
  if (!Array.isArray(keys) || !keys.every((k) => typeof k === 'string'))
    throw new PickleError('legacy storage key list is damaged');
  let at = dataStart;
  let storageBytes = 0;
  for (const key of keys as string[]) {
    const root = roots.get(key);
    if (!root) throw new PickleError(`storage ${key} is written but never used`);
    if (at + 8 > data.length) throw new PickleError(`file ends before storage ${key}`);
    const count = data.readBigInt64LE(at);
    at += 8;
    if (count !== BigInt(root.storage.numel))
      throw new PickleError(`storage ${key} holds ${count} elements, the pickle says ${root.storage.numel}`);
    const bytes = root.storage.numel * BYTES_PER_ELEMENT[root.storage.dtype];
    if (at + bytes > data.length) throw new PickleError(`file ends inside storage ${key}`);
    root.bytes = data.subarray(at, at + bytes);
    at += bytes;
    storageBytes += bytes;
  }
  return { value, storageBytes };
}

function readPrefix(file: string, length: number): Buffer {
  const fd = openSync(file, 'r');
  try {
    const buffer = Buffer.alloc(Math.min(length, fstatSync(fd).size));
    readSync(fd, buffer, 0, buffer.length, 0);
    return buffer;
  } finally {
    closeSync(fd);
  }
}

/** The format of a weights file from its first bytes. */
export function sniffWeightsFormat(file: string): 'zip' | 'legacy' | 'legacy-tar' | 'other' {
  const head = readPrefix(file, 512);
  if (head.length >= 4 && head.readUInt32LE(0) === 0x04034b50) return 'zip';
  if (head.length >= 4 && head[0] === 0x80 && head[1] === 0x02 && head[2] === 0x8a && head[3] === 0x0a) return 'legacy';
  if (head.length >= 262 && head.toString('latin1', 257, 262) === 'ustar') return 'legacy-tar';
  return 'other';
}

/**
 * The state dict of a `torch.save` file. Errors are CheckpointError, one line naming the file and the
 * reason; a call outside the allow-list is refused before anything is built.
 */
export function loadTorchCheckpoint(file: string): TorchCheckpoint {
  let format: ReturnType<typeof sniffWeightsFormat>;
  try {
    format = sniffWeightsFormat(file);
  } catch (err) {
    throw new CheckpointError(file, `cannot open (${fileErrorReason(err)})`);
  }
  if (format === 'legacy-tar')
    throw new CheckpointError(
      file,
      'the tar format of PyTorch < 0.4 is not supported; load and re-save it with a newer PyTorch',
    );
  if (format === 'other')
    throw new CheckpointError(
      file,
      'not a PyTorch checkpoint (neither the zip format of torch.save nor the legacy one)',
    );
  const tensors = new Map<string, Tensor>();
  let close = () => {};
  try {
    let value: unknown;
    let storageBytes: number;
    let bigEndian = false;
    if (format === 'zip') ({ value, storageBytes, bigEndian, close } = readZip(file));
    else {
      if (statSync(file).size > LEGACY_MAX_BYTES)
        throw new PickleError('legacy-format files over 2 GiB are not supported; re-save it with PyTorch >= 1.6');
      ({ value, storageBytes } = readLegacy(readFileSync(file)));
    }
    const { refs, layout } = findStateDict(value);
    const reader = new TensorReader(storageBytes, bigEndian);
    for (const [name, ref] of refs) tensors.set(name, reader.read(ref, name));
    return { tensors, layout, format };
  } catch (err) {
    for (const t of tensors.values()) t.dispose();
    if (err instanceof PickleError || err instanceof ZipError) throw new CheckpointError(file, err.message);
    if (err instanceof RangeError) throw new CheckpointError(file, `damaged file (${err.message})`);
    throw err;
  } finally {
    close();
  }
}
