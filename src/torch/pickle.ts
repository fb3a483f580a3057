// A restricted unpickler: it reads Python's pickle format (protocols 0 to 5) into inert JavaScript
// values and never runs anything a file names. A GLOBAL only names a Python object; the caller's
// allow-list says which names may be called (REDUCE) and what calling them means here (building a
// tensor reference, an ordered dict, a set). Calling any other name is refused with an error naming
// it. Instances of classes (NEWOBJ, INST, OBJ, copyreg._reconstructor) become PickleObject
// placeholders that record the class name and the state BUILD gives them, so a whole pickled
// nn.Module can be walked for its tensors without importing anything. Every length is checked against
// the bytes that remain, so a corrupt file costs at most its own size in memory.

export class PickleError extends Error {
  override name = 'PickleError';
}

/** A Python object named by module and name (a class or a function), never resolved. */
export class PickleGlobal {
  constructor(
    readonly module: string,
    readonly name: string,
  ) {}
  get path(): string {
    return `${this.module}.${this.name}`;
  }
}

/** An instance of a class the reader does not know: its class, constructor arguments and state. */
export class PickleObject {
  state: unknown = undefined;
  /** What APPEND(S) and SETITEM(S) added, for list and dict subclasses. */
  readonly items: unknown[] = [];
  readonly entries = new Map<unknown, unknown>();
  constructor(
    readonly className: string,
    readonly args: readonly unknown[],
  ) {}
}

/** What calling an allow-listed global means: a function of the call's arguments. */
export type Reducer = (args: unknown[]) => unknown;

export interface UnpickleOptions {
  /** Callable globals by `module.name` (Python 2 names are mapped to Python 3 ones first). */
  reducers: ReadonlyMap<string, Reducer>;
  /** Resolves a persistent id (torch's storages). */
  persistentLoad?: (pid: unknown) => unknown;
}

export interface UnpickleResult {
  value: unknown;
  /** Offset just past the STOP opcode (the legacy torch format holds several pickles in a row). */
  end: number;
}

// Protocol 2 writes Python 3 names under their Python 2 spelling (fix_imports).
const PYTHON2_MODULES: Record<string, string> = { __builtin__: 'builtins', copy_reg: 'copyreg' };

/** Builds a dict-like or list-like value for SETITEM(S)/APPEND(S). */
function setItem(target: unknown, key: unknown, value: unknown): void {
  if (target instanceof Map) target.set(key, value);
  else if (target instanceof PickleObject) target.entries.set(key, value);
  else throw new PickleError(`SETITEM on a ${describe(target)}`);
}

function append(target: unknown, value: unknown): void {
  if (Array.isArray(target)) target.push(value);
  else if (target instanceof PickleObject) target.items.push(value);
  else throw new PickleError(`APPEND on a ${describe(target)}`);
}

function describe(value: unknown): string {
  if (value === null) return 'None';
  if (value instanceof PickleGlobal) return `global ${value.path}`;
  if (value instanceof PickleObject) return `${value.className} object`;
  if (value instanceof Map) return 'dict';
  if (Array.isArray(value)) return 'list/tuple';
  if (value instanceof Uint8Array) return 'bytes';
  return typeof value;
}

// Integers in checkpoints are small; a longer one is damage, and converting it would take quadratic time.
const MAX_LONG_BYTES = 256;

function decodeLong(bytes: Uint8Array): number | bigint {
  if (bytes.length > MAX_LONG_BYTES) throw new PickleError(`integer of ${bytes.length} bytes is too long`);
  if (bytes.length === 0) return 0;
  let value = 0n;
  for (let i = bytes.length - 1; i >= 0; i--) value = (value << 8n) | BigInt(bytes[i]);
  if (bytes[bytes.length - 1] & 0x80) value -= 1n << BigInt(8 * bytes.length);
  return Number.isSafeInteger(Number(value)) ? Number(value) : value;
}

function parseIntText(text: string, what: string): number | bigint | boolean {
  if (text.length > 2 * MAX_LONG_BYTES) throw new PickleError(`${what} opcode holds ${text.length} characters`);
  const trimmed = text.replace(/L$/, '');
  if (what === 'INT' && trimmed === '00') return false;
  if (what === 'INT' && trimmed === '01') return true;
  if (!/^[+-]?\d+$/.test(trimmed)) throw new PickleError(`${what} opcode holds ${JSON.stringify(text.slice(0, 40))}`);
  const big = BigInt(trimmed);
  return Number.isSafeInteger(Number(big)) ? Number(big) : big;
}

/** Reads one pickle starting at `start` of `data`. */
export function unpickle(data: Uint8Array, options: UnpickleOptions, start = 0): UnpickleResult {
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const text = new TextDecoder('utf-8', { fatal: false });
  const latin1 = new TextDecoder('latin1');
  let p = start;
  let stack: unknown[] = [];
  const marks: unknown[][] = [];
  const memo = new Map<number, unknown>();

  const need = (n: number, what: string): void => {
    if (n < 0 || p + n > data.length)
      throw new PickleError(`pickle ends inside ${what} (needs ${n} bytes at offset ${p} of ${data.length})`);
  };
  const bytes = (n: number, what: string): Uint8Array => {
    need(n, what);
    const out = data.subarray(p, p + n);
    p += n;
    return out;
  };
  const u8 = () => bytes(1, 'an opcode argument')[0];
  const u16 = () => (need(2, 'an opcode argument'), (p += 2), view.getUint16(p - 2, true));
  const u32 = () => (need(4, 'an opcode argument'), (p += 4), view.getUint32(p - 4, true));
  const i32 = () => (need(4, 'an opcode argument'), (p += 4), view.getInt32(p - 4, true));
  const u64 = (): number => {
    need(8, 'an opcode argument');
    const v = view.getBigUint64(p, true);
    p += 8;
    if (v > BigInt(data.length)) throw new PickleError(`length ${v} exceeds the pickle's ${data.length} bytes`);
    return Number(v);
  };
  const line = (what: string): string => {
    const end = data.indexOf(0x0a, p);
    if (end < 0) throw new PickleError(`pickle ends inside ${what} (no newline)`);
    const out = latin1.decode(data.subarray(p, end));
    p = end + 1;
    return out;
  };
  const pop = (what: string): unknown => {
    if (stack.length === 0) throw new PickleError(`${what} on an empty stack`);
    return stack.pop();
  };
  const top = (what: string): unknown => {
    if (stack.length === 0) throw new PickleError(`${what} on an empty stack`);
    return stack[stack.length - 1];
  };
  // Callers take the marked items before touching `stack`, which this replaces.
  const popMark = (what: string): unknown[] => {
    const items = stack;
    const previous = marks.pop();
    if (!previous) throw new PickleError(`${what} without a MARK`);
    stack = previous;
    return items;
  };
  // TUPLE, LIST and FROZENSET: the items since the last MARK, as one value. popMark replaces `stack`,
  // so the push reads it only after popMark has returned.
  const pushMarked = (what: string): void => {
    const items = popMark(what);
    stack.push(items);
  };
  // APPENDS and ADDITEMS: the items since the last MARK go into the list or set below them.
  const appendMarked = (what: string): void => {
    const items = popMark(what);
    const target = top(what);
    for (const item of items) append(target, item);
  };
  const memoGet = (index: number): unknown => {
    if (!memo.has(index)) throw new PickleError(`memo entry ${index} read before it was written`);
    return memo.get(index);
  };
  const memoPut = (index: number): void => {
    memo.set(index, top('PUT'));
  };
  const global = (module: string, name: string): PickleGlobal =>
    new PickleGlobal(PYTHON2_MODULES[module] ?? module, name);
  const call = (callable: unknown, args: unknown): unknown => {
    if (!(callable instanceof PickleGlobal))
      throw new PickleError(`REDUCE calls a ${describe(callable)}, not a global`);
    if (!Array.isArray(args)) throw new PickleError(`REDUCE of ${callable.path} with ${describe(args)} arguments`);
    const reducer = options.reducers.get(callable.path);
    if (!reducer)
      throw new PickleError(
        `refused to call ${callable.path}: it is not one of the globals a checkpoint needs (the file may be malicious)`,
      );
    return reducer(args);
  };
  const instantiate = (cls: unknown, args: unknown, opcode: string): PickleObject => {
    if (!(cls instanceof PickleGlobal)) throw new PickleError(`${opcode} of a ${describe(cls)}, not a class`);
    if (!Array.isArray(args)) throw new PickleError(`${opcode} of ${cls.path} with ${describe(args)} arguments`);
    return new PickleObject(cls.path, args);
  };

  for (;;) {
    need(1, 'an opcode');
    const op = data[p++];
    switch (op) {
      case 0x80: // PROTO
        if (u8() > 5) throw new PickleError(`pickle protocol ${data[p - 1]} is newer than 5`);
        break;
      case 0x95: // FRAME: a length hint only
        u64();
        break;
      case 0x2e: // STOP
        if (stack.length !== 1 || marks.length !== 0)
          throw new PickleError(`STOP with ${stack.length} values on the stack and ${marks.length} open marks`);
        return { value: stack[0], end: p };
      case 0x28: // MARK
        marks.push(stack);
        stack = [];
        break;
      case 0x30: // POP
        if (stack.length > 0) stack.pop();
        else popMark('POP');
        break;
      case 0x31: // POP_MARK
        popMark('POP_MARK');
        break;
      case 0x32: // DUP
        stack.push(top('DUP'));
        break;
      case 0x4e: // NONE
        stack.push(null);
        break;
      case 0x88: // NEWTRUE
        stack.push(true);
        break;
      case 0x89: // NEWFALSE
        stack.push(false);
        break;
      case 0x4a: // BININT
        stack.push(i32());
        break;
      case 0x4b: // BININT1
        stack.push(u8());
        break;
      case 0x4d: // BININT2
        stack.push(u16());
        break;
      case 0x49: // INT
        stack.push(parseIntText(line('INT'), 'INT'));
        break;
      case 0x4c: // LONG
        stack.push(parseIntText(line('LONG'), 'LONG'));
        break;
      case 0x8a: // LONG1
        stack.push(decodeLong(bytes(u8(), 'LONG1')));
        break;
      case 0x8b: {
        // LONG4
        const n = i32();
        stack.push(decodeLong(bytes(n, 'LONG4')));
        break;
      }
      case 0x46: {
        // FLOAT
        const value = Number(line('FLOAT'));
        stack.push(value);
        break;
      }
      case 0x47: // BINFLOAT
        need(8, 'BINFLOAT');
        stack.push(view.getFloat64(p, false));
        p += 8;
        break;
      case 0x53: {
        // STRING: a quoted Python 2 str
        const raw = line('STRING');
        const quote = raw[0];
        if (raw.length < 2 || (quote !== "'" && quote !== '"') || raw[raw.length - 1] !== quote)
          throw new PickleError('STRING opcode is not quoted');
        stack.push(raw.slice(1, -1));
        break;
      }
      case 0x54: // BINSTRING
        stack.push(latin1.decode(bytes(i32(), 'BINSTRING')));
        break;
      case 0x55: // SHORT_BINSTRING
        stack.push(latin1.decode(bytes(u8(), 'SHORT_BINSTRING')));
        break;
      case 0x56: // UNICODE (raw-unicode-escape; checkpoints hold plain ASCII here)
        stack.push(line('UNICODE'));
        break;
      case 0x58: // BINUNICODE
        stack.push(text.decode(bytes(u32(), 'BINUNICODE')));
        break;
      case 0x8c: // SHORT_BINUNICODE
        stack.push(text.decode(bytes(u8(), 'SHORT_BINUNICODE')));
        break;
      case 0x8d: // BINUNICODE8
        stack.push(text.decode(bytes(u64(), 'BINUNICODE8')));
        break;
      case 0x42: // BINBYTES
        stack.push(bytes(u32(), 'BINBYTES'));
        break;
      case 0x43: // SHORT_BINBYTES
        stack.push(bytes(u8(), 'SHORT_BINBYTES'));
        break;
      case 0x8e: // BINBYTES8
        stack.push(bytes(u64(), 'BINBYTES8'));
        break;
      case 0x96: // BYTEARRAY8
        stack.push(bytes(u64(), 'BYTEARRAY8'));
        break;
      case 0x29: // EMPTY_TUPLE
        stack.push([]);
        break;
      case 0x85: // TUPLE1
        stack.push([pop('TUPLE1')]);
        break;
      case 0x86: {
        // TUPLE2
        const b = pop('TUPLE2');
        stack.push([pop('TUPLE2'), b]);
        break;
      }
      case 0x87: {
        // TUPLE3
        const c = pop('TUPLE3');
        const b = pop('TUPLE3');
        stack.push([pop('TUPLE3'), b, c]);
        break;
      }
      case 0x74: // TUPLE
        pushMarked('TUPLE');
        break;
      case 0x5d: // EMPTY_LIST
        stack.push([]);
        break;
      case 0x6c: // LIST
        pushMarked('LIST');
        break;
      case 0x7d: // EMPTY_DICT
        stack.push(new Map());
        break;
      case 0x64: {
        // DICT
        const items = popMark('DICT');
        const dict = new Map();
        for (let i = 0; i + 1 < items.length; i += 2) dict.set(items[i], items[i + 1]);
        stack.push(dict);
        break;
      }
      case 0x8f: // EMPTY_SET
        stack.push([]);
        break;
      case 0x91: // FROZENSET
        pushMarked('FROZENSET');
        break;
      case 0x90: // ADDITEMS
        appendMarked('ADDITEMS');
        break;
      case 0x61: {
        // APPEND
        const value = pop('APPEND');
        append(top('APPEND'), value);
        break;
      }
      case 0x65: // APPENDS
        appendMarked('APPENDS');
        break;
      case 0x73: {
        // SETITEM
        const value = pop('SETITEM');
        const key = pop('SETITEM');
        setItem(top('SETITEM'), key, value);
        break;
      }
      case 0x75: {
        // SETITEMS
        const items = popMark('SETITEMS');
        const dict = top('SETITEMS');
        for (let i = 0; i + 1 < items.length; i += 2) setItem(dict, items[i], items[i + 1]);
        break;
      }
      case 0x67: // GET
        stack.push(memoGet(Number(parseIntText(line('GET'), 'GET'))));
        break;
      case 0x68: // BINGET
        stack.push(memoGet(u8()));
        break;
      case 0x6a: // LONG_BINGET
        stack.push(memoGet(u32()));
        break;
      case 0x70: // PUT
        memoPut(Number(parseIntText(line('PUT'), 'PUT')));
        break;
      case 0x71: // BINPUT
        memoPut(u8());
        break;
      case 0x72: // LONG_BINPUT
        memoPut(u32());
        break;
      case 0x94: // MEMOIZE
        memoPut(memo.size);
        break;
      case 0x63: {
        // GLOBAL
        const module = line('GLOBAL');
        stack.push(global(module, line('GLOBAL')));
        break;
      }
      case 0x93: {
        // STACK_GLOBAL
        const name = pop('STACK_GLOBAL');
        const module = pop('STACK_GLOBAL');
        if (typeof module !== 'string' || typeof name !== 'string')
          throw new PickleError('STACK_GLOBAL of values that are not strings');
        stack.push(global(module, name));
        break;
      }
      case 0x52: {
        // REDUCE
        const args = pop('REDUCE');
        stack.push(call(pop('REDUCE'), args));
        break;
      }
      case 0x81: {
        // NEWOBJ
        const args = pop('NEWOBJ');
        stack.push(instantiate(pop('NEWOBJ'), args, 'NEWOBJ'));
        break;
      }
      case 0x92: {
        // NEWOBJ_EX
        pop('NEWOBJ_EX');
        const args = pop('NEWOBJ_EX');
        stack.push(instantiate(pop('NEWOBJ_EX'), args, 'NEWOBJ_EX'));
        break;
      }
      case 0x69: {
        // INST
        const module = line('INST');
        const cls = global(module, line('INST'));
        const args = popMark('INST');
        stack.push(instantiate(cls, args, 'INST'));
        break;
      }
      case 0x6f: {
        // OBJ
        const items = popMark('OBJ');
        if (items.length === 0) throw new PickleError('OBJ without a class');
        stack.push(instantiate(items[0], items.slice(1), 'OBJ'));
        break;
      }
      case 0x62: {
        // BUILD
        const state = pop('BUILD');
        const target = top('BUILD');
        if (target instanceof PickleObject) target.state = state;
        // An OrderedDict's state is its instance __dict__ (a state dict's _metadata); a tensor
        // reference's state (Parameter subclasses) is irrelevant to its values.
        else if (!(target instanceof Map) && (typeof target !== 'object' || target === null))
          throw new PickleError(`BUILD on a ${describe(target)}`);
        break;
      }
      case 0x50: // PERSID
        if (!options.persistentLoad) throw new PickleError('persistent id in a pickle that should have none');
        stack.push(options.persistentLoad(line('PERSID')));
        break;
      case 0x51: // BINPERSID
        if (!options.persistentLoad) throw new PickleError('persistent id in a pickle that should have none');
        stack.push(options.persistentLoad(pop('BINPERSID')));
        break;
      case 0x82:
      case 0x83:
      case 0x84:
        throw new PickleError('extension registry opcodes (EXT1/2/4) are not supported');
      case 0x97:
      case 0x98:
        throw new PickleError('out-of-band buffers (protocol 5) are not supported');
      default:
        throw new PickleError(`unknown pickle opcode 0x${op.toString(16).padStart(2, '0')} at offset ${p - 1}`);
    }
  }
}
