// A restricted unpickler for insightface's verification `.bin` files (and nothing else).
//
// A pickle is a program for a stack machine that may import and call anything, so `pickle.load` on
// a downloaded file runs whatever it says. This reader interprets only the opcodes such files use:
//   * Python 2, protocol 2 (the published lfw/cfp_fp/agedb_30 files): PROTO, EMPTY_LIST, BINPUT /
//     LONG_BINPUT, MARK … APPENDS / APPEND, SHORT_BINSTRING / BINSTRING images, NEWTRUE / NEWFALSE,
//     TUPLE2, STOP;
//   * Python 3, protocols 2–5: FRAME, MEMOIZE, BINGET / LONG_BINGET, SHORT_BINBYTES / BINBYTES /
//     BINBYTES8 / BYTEARRAY8, (SHORT_)BINUNICODE, NONE, BININT*, TUPLE*, and the few callables that
//     numpy arrays of JPEG bytes and Python 3's protocol-2 bytes are pickled through.
// Callables (GLOBAL / STACK_GLOBAL + REDUCE + BUILD) are never imported or run: the whitelisted names
// map to small functions here that only build data, with every argument checked:
//   numpy.(_)core.multiarray._reconstruct + BUILD  → a uint8/bool array (protocols 2–4)
//   numpy.(_)core.numeric._frombuffer               → a uint8/bool array (protocol 5)
//   numpy.dtype + BUILD                             → the dtype 'u1' or 'b1' only
//   _codecs.encode(text, 'latin1'), bytes()         → bytes (Python 3 writing bytes at protocol 2)
// Any other opcode or name is refused with a TopofrError naming the source and the byte offset.
// Byte strings are zero-copy views of the input (except _codecs.encode, which must transcode).
import { TopofrError, type TopofrErrorCode } from '../errors.js';

/** A Python tuple (a Python list is a JS array). */
export class PyTuple {
  constructor(readonly items: readonly PickleValue[]) {}
}

/** A numpy array of 1-byte elements: `data` holds its bytes in C order (a view of the input). */
export class NumpyArray {
  constructor(
    public dtype: NumpyDtypeName,
    public shape: number[],
    public data: Uint8Array,
    /** False until _reconstruct's BUILD has supplied the dtype, shape and bytes. */
    public built: boolean,
  ) {}
}

export type NumpyDtypeName = 'u1' | 'b1';

class NumpyDtype {
  built = false;
  constructor(readonly name: NumpyDtypeName) {}
}

type Callable = 'reconstruct' | 'frombuffer' | 'dtype' | 'ndarray' | 'encode' | 'bytes';

class PyGlobal {
  constructor(readonly callable: Callable, readonly name: string) {}
}

export type PickleValue = null | boolean | number | string | Uint8Array | PickleValue[] | PyTuple | NumpyArray | NumpyDtype | PyGlobal;

const GLOBALS: ReadonlyMap<string, Callable> = new Map([
  ['numpy.core.multiarray._reconstruct', 'reconstruct'],
  ['numpy._core.multiarray._reconstruct', 'reconstruct'],
  ['numpy.core.numeric._frombuffer', 'frombuffer'],
  ['numpy._core.numeric._frombuffer', 'frombuffer'],
  ['numpy.dtype', 'dtype'],
  ['numpy.ndarray', 'ndarray'],
  ['_codecs.encode', 'encode'],
  ['__builtin__.bytes', 'bytes'],
  ['builtins.bytes', 'bytes'],
]);

/** Every pickle opcode by byte, for the messages (pickletools' names). */
const OPCODE_NAMES: Readonly<Record<number, string>> = {
  0x28: 'MARK', 0x2e: 'STOP', 0x30: 'POP', 0x31: 'POP_MARK', 0x32: 'DUP', 0x46: 'FLOAT', 0x49: 'INT', 0x4a: 'BININT',
  0x4b: 'BININT1', 0x4c: 'LONG', 0x4d: 'BININT2', 0x4e: 'NONE', 0x50: 'PERSID', 0x51: 'BINPERSID', 0x52: 'REDUCE',
  0x53: 'STRING', 0x54: 'BINSTRING', 0x55: 'SHORT_BINSTRING', 0x56: 'UNICODE', 0x58: 'BINUNICODE', 0x61: 'APPEND',
  0x62: 'BUILD', 0x63: 'GLOBAL', 0x64: 'DICT', 0x7d: 'EMPTY_DICT', 0x65: 'APPENDS', 0x67: 'GET', 0x68: 'BINGET',
  0x69: 'INST', 0x6a: 'LONG_BINGET', 0x6c: 'LIST', 0x5d: 'EMPTY_LIST', 0x6f: 'OBJ', 0x70: 'PUT', 0x71: 'BINPUT',
  0x72: 'LONG_BINPUT', 0x73: 'SETITEM', 0x74: 'TUPLE', 0x29: 'EMPTY_TUPLE', 0x75: 'SETITEMS', 0x47: 'BINFLOAT',
  0x80: 'PROTO', 0x81: 'NEWOBJ', 0x82: 'EXT1', 0x83: 'EXT2', 0x84: 'EXT4', 0x85: 'TUPLE1', 0x86: 'TUPLE2', 0x87: 'TUPLE3',
  0x88: 'NEWTRUE', 0x89: 'NEWFALSE', 0x8a: 'LONG1', 0x8b: 'LONG4', 0x42: 'BINBYTES', 0x43: 'SHORT_BINBYTES',
  0x8c: 'SHORT_BINUNICODE', 0x8d: 'BINUNICODE8', 0x8e: 'BINBYTES8', 0x8f: 'EMPTY_SET', 0x90: 'ADDITEMS',
  0x91: 'FROZENSET', 0x92: 'NEWOBJ_EX', 0x93: 'STACK_GLOBAL', 0x94: 'MEMOIZE', 0x95: 'FRAME', 0x96: 'BYTEARRAY8',
  0x97: 'NEXT_BUFFER', 0x98: 'READONLY_BUFFER',
};

const MARK = Symbol('MARK');
type StackItem = PickleValue | typeof MARK;

const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * Interprets `bytes` as a pickle of data only (see the header for what is accepted) and returns the
 * value it builds. `source` (a file name) prefixes every error message, with the byte offset.
 */
export function unpickle(bytes: Uint8Array, source: string): PickleValue {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const stack: StackItem[] = [];
  const marks: number[] = [];
  const memo = new Map<number, PickleValue>();
  let at = 0; // offset of the opcode being run
  let pos = 0; // read position

  const fail = (message: string, code: TopofrErrorCode = 'ERR_TOPOFR_PARSE', offset = at): never => {
    throw new TopofrError(code, `${source}: byte ${offset}: ${message}`);
  };
  const opName = (op: number) => `${OPCODE_NAMES[op] ?? 'unknown opcode'} (0x${op.toString(16).padStart(2, '0')})`;
  const need = (n: number): number => {
    if (n > bytes.length - pos) fail(`truncated: ${opName(bytes[at]!)} needs ${n} more bytes at byte ${pos}, but the file ends at byte ${bytes.length}`);
    const start = pos;
    pos += n;
    return start;
  };
  const u8 = () => bytes[need(1)]!;
  const u16 = () => view.getUint16(need(2), true);
  const u32 = () => view.getUint32(need(4), true);
  const u64 = (): number => {
    const start = need(8);
    const high = view.getUint32(start + 4, true);
    if (high >= 2 ** 21) fail(`length ${high}·2^32 + … is beyond any file`);
    return high * 2 ** 32 + view.getUint32(start, true);
  };
  const slice = (n: number): Uint8Array => {
    const start = need(n);
    return bytes.subarray(start, start + n);
  };
  const text = (n: number): string => {
    try {
      return utf8.decode(slice(n));
    } catch {
      return fail('a unicode string that is not valid UTF-8');
    }
  };
  const push = (v: PickleValue) => stack.push(v);
  const pop = (what: string): PickleValue => {
    const floor = marks.length ? marks[marks.length - 1]! : 0;
    if (stack.length <= floor) fail(`${opName(bytes[at]!)} needs ${what} on the stack, but it is empty`);
    return stack.pop() as PickleValue;
  };
  const top = (): PickleValue => {
    if (stack.length === 0 || stack[stack.length - 1] === MARK) fail(`${opName(bytes[at]!)} needs a value on the stack, but it is empty`);
    return stack[stack.length - 1] as PickleValue;
  };
  const popMark = (): PickleValue[] => {
    const mark = marks.pop();
    if (mark === undefined) fail(`${opName(bytes[at]!)} without a preceding MARK`);
    const items = stack.splice(mark!) as StackItem[];
    items.shift(); // the MARK itself
    return items as PickleValue[];
  };
  const appendTo = (items: PickleValue[]) => {
    const list = top();
    if (!Array.isArray(list)) fail(`${opName(bytes[at]!)} appends to a ${describe(list)}, not a list`);
    for (const item of items) (list as PickleValue[]).push(item);
  };
  const memoPut = (key: number) => memo.set(key, top());
  const memoGet = (key: number) => {
    if (!memo.has(key)) fail(`memo entry ${key} is read before it is written`);
    push(memo.get(key)!);
  };
  const global = (module: string, name: string): PyGlobal => {
    const full = `${module}.${name}`;
    const callable = GLOBALS.get(full);
    if (callable === undefined)
      fail(`the pickle imports ${JSON.stringify(full)}; a verification set holds only images and labels, so topofr refuses it (it never runs pickled code)`,
        'ERR_TOPOFR_UNSUPPORTED');
    return new PyGlobal(callable!, full);
  };
  const reduce = (fn: PickleValue, args: PickleValue): PickleValue => {
    if (!(fn instanceof PyGlobal) || !(args instanceof PyTuple)) return fail(`REDUCE of a ${describe(fn)} with ${describe(args)}; only whitelisted numpy/_codecs calls are allowed`, 'ERR_TOPOFR_UNSUPPORTED');
    const a = args.items;
    const bad = (expected: string): never => fail(`${fn.name}${describeArgs(a)}: expected ${expected}`, 'ERR_TOPOFR_UNSUPPORTED');
    switch (fn.callable) {
      case 'reconstruct': {
        if (a.length !== 3 || !(a[0] instanceof PyGlobal) || a[0].callable !== 'ndarray' || !(a[1] instanceof PyTuple) || !isBytes(a[2]))
          return bad('(numpy.ndarray, (0,), b"b")');
        return new NumpyArray('u1', [], new Uint8Array(0), false);
      }
      case 'dtype': {
        const name = a[0];
        if (a.length !== 3 || (name !== 'u1' && name !== 'b1') || typeof a[1] !== 'boolean' || typeof a[2] !== 'boolean')
          return bad("('u1' or 'b1', bool, bool): verification sets store JPEG bytes as uint8 and labels as bool");
        return new NumpyDtype(name);
      }
      case 'frombuffer': {
        const [buffer, dtype, shape, order] = a;
        if (a.length !== 4 || !isBytes(buffer) || !(dtype instanceof NumpyDtype) || !(shape instanceof PyTuple) || (order !== 'C' && order !== 'F'))
          return bad("(buffer, dtype, shape, 'C' | 'F')");
        return new NumpyArray(dtype.name, checkShape(shape, buffer.length), buffer, true);
      }
      case 'encode': {
        const [s, encoding] = a;
        if (a.length !== 2 || typeof s !== 'string' || (encoding !== 'latin1' && encoding !== 'latin-1')) return bad("(str, 'latin1')");
        const out = new Uint8Array(s.length);
        for (let i = 0; i < s.length; i++) {
          const c = s.charCodeAt(i);
          if (c > 255) return bad('a latin-1 string (code points ≤ 255)');
          out[i] = c;
        }
        return out;
      }
      case 'bytes':
        return a.length === 0 ? new Uint8Array(0) : bad('() (Python 3 writes an empty bytes at protocol 2 as bytes())');
      case 'ndarray':
        return bad('nothing: numpy.ndarray is accepted only as _reconstruct\'s first argument');
    }
  };
  const checkShape = (shape: PyTuple, size: number): number[] => {
    const dims = shape.items.map((d) => (typeof d === 'number' && Number.isInteger(d) && d >= 0 ? d : fail(`array shape ${describe(d)} is not a tuple of sizes`)));
    const count = dims.reduce((p, d) => p * d, 1);
    if (count !== size) fail(`an array of shape (${dims.join(', ')}) needs ${count} bytes but holds ${size}`);
    return dims;
  };
  const build = (target: PickleValue, state: PickleValue) => {
    if (target instanceof NumpyDtype && !target.built && state instanceof PyTuple) {
      const s = state.items;
      if (s.length === 8 && s[0] === 3 && s[1] === '|' && s[2] === null && s[3] === null && s[4] === null && s[5] === -1 && s[6] === -1 && s[7] === 0) {
        target.built = true;
        return;
      }
      fail(`numpy.dtype state ${describeArgs(s)} is not that of a plain 1-byte dtype`, 'ERR_TOPOFR_UNSUPPORTED');
    }
    if (target instanceof NumpyArray && !target.built && state instanceof PyTuple) {
      const [version, shape, dtype, fortran, raw] = state.items;
      if (state.items.length !== 5 || version !== 1 || !(shape instanceof PyTuple) || !(dtype instanceof NumpyDtype) || typeof fortran !== 'boolean' || !isBytes(raw))
        fail(`ndarray state ${describeArgs(state.items)} is not (1, shape, dtype, fortran, bytes)`, 'ERR_TOPOFR_UNSUPPORTED');
      const array = target;
      array.shape = checkShape(shape as PyTuple, (raw as Uint8Array).length);
      array.dtype = (dtype as NumpyDtype).name;
      array.data = raw as Uint8Array;
      array.built = true;
      return;
    }
    fail(`BUILD of a ${describe(target)}; only numpy arrays and dtypes may be built`, 'ERR_TOPOFR_UNSUPPORTED');
  };

  while (pos < bytes.length) {
    at = pos;
    const op = bytes[pos++]!;
    switch (op) {
      case 0x80: { // PROTO
        const protocol = u8();
        if (protocol > 5) fail(`pickle protocol ${protocol} is newer than 5`);
        break;
      }
      case 0x95: // FRAME: a length prefix for buffering; the opcodes inside are read as usual
        if (u64() > bytes.length - pos) fail(`FRAME runs past the end of the file (${bytes.length} bytes)`);
        break;
      case 0x2e: { // STOP
        if (stack.length !== 1 || marks.length) fail(`STOP with ${stack.length} values and ${marks.length} open MARKs on the stack; expected exactly one value`);
        const result = stack[0] as PickleValue;
        if ((result instanceof NumpyArray && !result.built) || result instanceof PyGlobal || result instanceof NumpyDtype) fail(`the pickle's value is an unfinished ${describe(result)}`);
        return result;
      }
      case 0x28: marks.push(stack.length); stack.push(MARK); break; // MARK
      case 0x5d: push([]); break; // EMPTY_LIST
      case 0x29: push(new PyTuple([])); break; // EMPTY_TUPLE
      case 0x61: appendTo([pop('an item')]); break; // APPEND
      case 0x65: { // APPENDS
        const items = popMark();
        appendTo(items);
        break;
      }
      case 0x74: push(new PyTuple(popMark())); break; // TUPLE
      case 0x85: push(new PyTuple([pop('1 item')])); break; // TUPLE1
      case 0x86: { const b = pop('2 items'); const a = pop('2 items'); push(new PyTuple([a, b])); break; } // TUPLE2
      case 0x87: { const c = pop('3 items'); const b = pop('3 items'); const a = pop('3 items'); push(new PyTuple([a, b, c])); break; } // TUPLE3
      case 0x71: memoPut(u8()); break; // BINPUT
      case 0x72: memoPut(u32()); break; // LONG_BINPUT
      case 0x94: memoPut(memo.size); break; // MEMOIZE
      case 0x68: memoGet(u8()); break; // BINGET
      case 0x6a: memoGet(u32()); break; // LONG_BINGET
      case 0x55: case 0x43: push(slice(u8())); break; // SHORT_BINSTRING, SHORT_BINBYTES
      case 0x54: { // BINSTRING (signed length)
        const n = view.getInt32(need(4), true);
        if (n < 0) fail(`BINSTRING with a negative length ${n}`);
        push(slice(n));
        break;
      }
      case 0x42: push(slice(u32())); break; // BINBYTES
      case 0x8e: case 0x96: push(slice(u64())); break; // BINBYTES8, BYTEARRAY8
      case 0x8c: push(text(u8())); break; // SHORT_BINUNICODE
      case 0x58: push(text(u32())); break; // BINUNICODE
      case 0x8d: push(text(u64())); break; // BINUNICODE8
      case 0x88: push(true); break; // NEWTRUE
      case 0x89: push(false); break; // NEWFALSE
      case 0x4e: push(null); break; // NONE
      case 0x4b: push(u8()); break; // BININT1
      case 0x4d: push(u16()); break; // BININT2
      case 0x4a: push(view.getInt32(need(4), true)); break; // BININT
      case 0x63: { // GLOBAL "module\nname\n"
        const line = () => {
          const end = bytes.indexOf(0x0a, pos);
          if (end < 0) fail('GLOBAL without its newline-terminated module and name');
          return text(end - pos + 1).slice(0, -1);
        };
        const module = line();
        push(global(module, line()));
        break;
      }
      case 0x93: { // STACK_GLOBAL
        const name = pop('a name');
        const module = pop('a module');
        if (typeof module !== 'string' || typeof name !== 'string') fail('STACK_GLOBAL needs two strings (module, name)');
        push(global(module as string, name as string));
        break;
      }
      case 0x52: { const args = pop('arguments'); push(reduce(pop('a callable'), args)); break; } // REDUCE
      case 0x62: { const state = pop('a state'); build(top(), state); break; } // BUILD
      default:
        fail(`${opName(op)} is not allowed: a verification set holds only images and labels, and topofr never runs pickled code`, 'ERR_TOPOFR_UNSUPPORTED');
    }
  }
  return fail(`the pickle ends without STOP at byte ${bytes.length} (a truncated file?)`, 'ERR_TOPOFR_PARSE', bytes.length);
}

function isBytes(v: unknown): v is Uint8Array {
  return v instanceof Uint8Array;
}

function describe(v: unknown): string {
  if (v === null) return 'None';
  if (Array.isArray(v)) return 'list';
  if (v instanceof Uint8Array) return 'bytes';
  if (v instanceof PyTuple) return `tuple of ${v.items.length}`;
  if (v instanceof NumpyArray) return `numpy array (${v.dtype})`;
  if (v instanceof NumpyDtype) return 'numpy dtype';
  if (v instanceof PyGlobal) return v.name;
  return typeof v === 'string' ? 'str' : typeof v;
}

function describeArgs(items: readonly unknown[]): string {
  return `(${items.map((v) => (typeof v === 'string' ? JSON.stringify(v) : typeof v === 'number' || typeof v === 'boolean' ? String(v) : describe(v))).join(', ')})`;
}
