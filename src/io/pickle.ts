// A small, safe Python unpickler: the pickle virtual machine for protocols 2–5 over plain data
// (None, bools, ints, floats, str, bytes, tuples and lists as arrays, dicts as Maps). Globals are
// never imported: `findClass(module, name)` maps the few a format needs to JS functions (REDUCE and
// NEWOBJ call them with the arguments, BUILD hands them the state) and anything else is refused
// with the name in the error. Persistent ids (how torch.save refers to tensor storages) go to
// `persistentLoad`. Opcode reference: CPython's Lib/pickletools.py.
import { TopofrError } from '../errors.js';

export type Callable = (...args: unknown[]) => unknown;

export interface UnpickleOptions {
  /** Resolves a GLOBAL / STACK_GLOBAL; throw (or return undefined) to refuse. */
  findClass: (module: string, name: string) => Callable | undefined;
  /** Resolves a BINPERSID / PERSID id. */
  persistentLoad?: (pid: unknown) => unknown;
}

/** An object that accepts BUILD's state (Python's __setstate__). */
export interface Buildable {
  setState(state: unknown): void;
}

const MARK = Symbol('mark');

export function unpickle(bytes: Uint8Array, options: UnpickleOptions, source = 'pickle'): unknown {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const decoder = new TextDecoder('utf-8', { fatal: true });
  const latin1 = new TextDecoder('latin1');
  const fail = (message: string): never => {
    throw new TopofrError('ERR_TOPOFR_PARSE', `${source}: ${message}`);
  };
  let at = 0;
  const need = (n: number): number => {
    if (at + n > bytes.length) fail(`truncated at byte ${at} (needs ${n} more)`);
    const start = at;
    at += n;
    return start;
  };
  const u8 = () => view.getUint8(need(1));
  const u16 = () => view.getUint16(need(2), true);
  const u32 = () => view.getUint32(need(4), true);
  const u64 = () => {
    const v = view.getBigUint64(need(8), true);
    if (v > BigInt(Number.MAX_SAFE_INTEGER)) fail(`a length of ${v} bytes`);
    return Number(v);
  };
  const raw = (n: number) => bytes.subarray(need(n), at);
  const line = () => {
    const end = bytes.indexOf(0x0a, at);
    if (end < 0) fail(`unterminated text argument at byte ${at}`);
    const text = latin1.decode(bytes.subarray(at, end));
    at = end + 1;
    return text;
  };
  const utf8 = (n: number) => {
    try {
      return decoder.decode(raw(n));
    } catch {
      return fail(`invalid UTF-8 string at byte ${at - n}`);
    }
  };
  const signedLittle = (b: Uint8Array): number => {
    let v = 0n;
    for (let i = b.length - 1; i >= 0; i--) v = (v << 8n) | BigInt(b[i]!);
    if (b.length > 0 && (b[b.length - 1]! & 0x80) !== 0) v -= 1n << BigInt(8 * b.length);
    if (v > BigInt(Number.MAX_SAFE_INTEGER) || v < BigInt(Number.MIN_SAFE_INTEGER)) fail(`integer ${v} is beyond 2^53`);
    return Number(v);
  };

  const stack: unknown[] = [];
  const marks: number[] = [];
  const memo = new Map<number, unknown>();
  const pop = (): unknown => {
    if (stack.length === 0 || (marks.length > 0 && stack.length === marks[marks.length - 1])) fail(`stack underflow at byte ${at - 1}`);
    return stack.pop();
  };
  const popMark = (): unknown[] => {
    const m = marks.pop();
    if (m === undefined) fail(`no MARK for the opcode at byte ${at - 1}`);
    return stack.splice(m!);
  };
  const top = (): unknown => {
    if (stack.length === 0) fail(`empty stack at byte ${at - 1}`);
    return stack[stack.length - 1];
  };
  const resolve = (module: string, name: string): Callable => {
    const found = options.findClass(module, name);
    if (typeof found !== 'function') fail(`refuses the Python global ${module}.${name} (not part of this format)`);
    return found!;
  };
  const call = (fn: unknown, args: unknown): unknown => {
    if (typeof fn !== 'function') fail(`REDUCE on a non-callable at byte ${at - 1}`);
    if (!Array.isArray(args)) fail(`REDUCE with non-tuple arguments at byte ${at - 1}`);
    return (fn as Callable)(...(args as unknown[]));
  };
  const setItems = (dict: unknown, items: unknown[]) => {
    if (!(dict instanceof Map)) fail(`SETITEM(S) on a non-dict at byte ${at - 1}`);
    for (let i = 0; i + 1 < items.length; i += 2) (dict as Map<unknown, unknown>).set(items[i], items[i + 1]);
  };
  const append = (list: unknown, items: unknown[]) => {
    if (!Array.isArray(list)) fail(`APPEND(S) on a non-list at byte ${at - 1}`);
    (list as unknown[]).push(...items);
  };

  for (;;) {
    const op = u8();
    switch (op) {
      case 0x80: u8(); break;                                         // PROTO
      case 0x95: u64(); break;                                        // FRAME
      case 0x2e: {                                                    // STOP
        if (stack.length !== 1) fail(`STOP with ${stack.length} values on the stack`);
        return stack[0];
      }
      case 0x28: marks.push(stack.length); break;                     // MARK
      case 0x31: popMark(); break;                                    // POP_MARK
      case 0x30: pop(); break;                                        // POP
      case 0x32: stack.push(top()); break;                            // DUP
      case 0x4e: stack.push(null); break;                             // NONE
      case 0x88: stack.push(true); break;                             // NEWTRUE
      case 0x89: stack.push(false); break;                            // NEWFALSE
      case 0x4a: stack.push(view.getInt32(need(4), true)); break;     // BININT
      case 0x4b: stack.push(u8()); break;                             // BININT1
      case 0x4d: stack.push(u16()); break;                            // BININT2
      case 0x8a: stack.push(signedLittle(raw(u8()))); break;          // LONG1
      case 0x8b: stack.push(signedLittle(raw(u32()))); break;         // LONG4
      case 0x47: stack.push(view.getFloat64(need(8), false)); break;  // BINFLOAT (big-endian)
      case 0x49: {                                                    // INT (text; 00/01 are bools)
        const text = line();
        stack.push(text === '01' ? true : text === '00' ? false : Number.parseInt(text, 10));
        break;
      }
      case 0x58: stack.push(utf8(u32())); break;                      // BINUNICODE
      case 0x8c: stack.push(utf8(u8())); break;                       // SHORT_BINUNICODE
      case 0x8d: stack.push(utf8(u64())); break;                      // BINUNICODE8
      case 0x54: stack.push(latin1.decode(raw(u32()))); break;        // BINSTRING
      case 0x55: stack.push(latin1.decode(raw(u8()))); break;         // SHORT_BINSTRING
      case 0x42: stack.push(raw(u32()).slice()); break;               // BINBYTES
      case 0x43: stack.push(raw(u8()).slice()); break;                // SHORT_BINBYTES
      case 0x8e: stack.push(raw(u64()).slice()); break;               // BINBYTES8
      case 0x29: stack.push([]); break;                               // EMPTY_TUPLE
      case 0x74: stack.push(popMark()); break;                        // TUPLE
      case 0x85: stack.push([pop()]); break;                          // TUPLE1
      case 0x86: { const b = pop(); stack.push([pop(), b]); break; }  // TUPLE2
      case 0x87: { const c = pop(), b = pop(); stack.push([pop(), b, c]); break; }  // TUPLE3
      case 0x5d: stack.push([]); break;                               // EMPTY_LIST
      case 0x6c: stack.push(popMark()); break;                        // LIST
      case 0x61: { const v = pop(); append(top(), [v]); break; }      // APPEND
      case 0x65: { const items = popMark(); append(top(), items); break; }  // APPENDS
      case 0x7d: stack.push(new Map()); break;                        // EMPTY_DICT
      case 0x64: { const d = new Map(); setItems(d, popMark()); stack.push(d); break; }  // DICT
      case 0x73: { const v = pop(), k = pop(); setItems(top(), [k, v]); break; }  // SETITEM
      case 0x75: { const items = popMark(); setItems(top(), items); break; }  // SETITEMS
      case 0x71: memo.set(u8(), top()); break;                        // BINPUT
      case 0x72: memo.set(u32(), top()); break;                       // LONG_BINPUT
      case 0x94: memo.set(memo.size, top()); break;                   // MEMOIZE
      case 0x68: case 0x6a: {                                         // BINGET, LONG_BINGET
        const key = op === 0x68 ? u8() : u32();
        if (!memo.has(key)) fail(`memo key ${key} is not defined`);
        stack.push(memo.get(key));
        break;
      }
      case 0x63: { const module = line(); stack.push(resolve(module, line())); break; }  // GLOBAL
      case 0x93: {                                                    // STACK_GLOBAL
        const name = pop(), module = pop();
        if (typeof module !== 'string' || typeof name !== 'string') fail('STACK_GLOBAL needs two strings');
        stack.push(resolve(module as string, name as string));
        break;
      }
      case 0x52: { const args = pop(); stack.push(call(pop(), args)); break; }  // REDUCE
      case 0x81: { const args = pop(); stack.push(call(pop(), args)); break; }  // NEWOBJ
      case 0x62: {                                                    // BUILD
        const state = pop();
        const obj = top();
        if (obj !== null && typeof obj === 'object' && typeof (obj as Partial<Buildable>).setState === 'function') (obj as Buildable).setState(state);
        else if (!(obj instanceof Map)) fail(`BUILD on an object that takes no state at byte ${at - 1}`);
        // A dict subclass's BUILD (e.g. an OrderedDict state_dict's _metadata) sets attributes, not items.
        break;
      }
      case 0x51: {                                                    // BINPERSID
        const pid = pop();
        if (!options.persistentLoad) fail('persistent ids are not part of this format');
        stack.push(options.persistentLoad!(pid));
        break;
      }
      default:
        fail(`unsupported pickle opcode 0x${op.toString(16).padStart(2, '0')} at byte ${at - 1}`);
    }
  }
}
