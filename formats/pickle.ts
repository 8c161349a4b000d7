/**
 * A safe unpickler for Python pickle protocols 2–5. It runs no code: it builds plain JavaScript values
 * and resolves every global (`module.name`) through a table the caller passes, so a pickle can only
 * produce what the table allows; any other global is a clear error.
 *
 * Values: None → null, bool → boolean, int → number (bigint beyond 2^53), float → number,
 * str → string (Python 2 byte strings are decoded as latin-1, like `encoding="latin1"`),
 * bytes/bytearray → Uint8Array, list → array, tuple → frozen array, dict → Map, set/frozenset → Set,
 * a global → whatever the table maps it to.
 *
 * @module
 */
import { DataError } from "../kernel/errors.ts";

/**
 * A Python callable a pickle may use: a class or function reached through REDUCE/NEWOBJ, whose result
 * may later receive BUILD's state.
 */
export class PickleCallable {
  /**
   * @param name its Python name, `module.qualname`, for messages
   * @param call builds the value from the call's positional arguments
   * @param setState applies BUILD's state to a value `call` made; returns the replacement value, or
   *   undefined to keep it. Without it, BUILD on the value is an error.
   */
  constructor(
    readonly name: string,
    readonly call: (args: readonly unknown[]) => unknown,
    readonly setState?: (value: unknown, state: unknown) => unknown,
  ) {}
}

/** The globals a pickle may name: `"module.name"` → value (a {@link PickleCallable} when called). */
export type PickleGlobals = ReadonlyMap<string, unknown>;

/** What {@link unpickle} needs besides the bytes. */
export interface UnpickleOptions {
  /** Allowed globals. Python 2 module names (`__builtin__`, `copy_reg`) are mapped to Python 3's. */
  globals: PickleGlobals;
  /** Resolves persistent ids (PERSID/BINPERSID); without it they are an error. */
  persistentLoad?: (pid: unknown) => unknown;
  /** Turns a message into the error to throw; defaults to a DataError naming `file`. */
  error?: (message: string) => Error;
  /** File name for the default error. */
  file?: string;
  /** Byte offset of the pickle within `bytes` (several pickles may follow each other). */
  offset?: number;
  /** Explains an unknown global (appended to the error message). */
  unknownGlobalHint?: (name: string) => string;
}

/** An unpickled value and where its pickle ended. */
export interface Unpickled {
  /** The value the pickle's STOP returned. */
  value: unknown;
  /** Byte offset just after the STOP opcode. */
  end: number;
}

/** The collections / builtins globals every caller may allow. */
export const BUILTIN_GLOBALS: PickleGlobals = new Map<string, unknown>([
  [
    "collections.OrderedDict",
    new PickleCallable("collections.OrderedDict", (args) => new Map(pairsOf(args[0])), () => undefined),
  ],
  ["builtins.set", new PickleCallable("builtins.set", (args) => new Set(iterableOf(args[0])))],
  ["builtins.frozenset", new PickleCallable("builtins.frozenset", (args) => new Set(iterableOf(args[0])))],
  ["builtins.bytearray", new PickleCallable("builtins.bytearray", (args) => bytesOf(args))],
  // Protocol 2 pickles Python 3 bytes as _codecs.encode(text, "latin1").
  ["_codecs.encode", new PickleCallable("_codecs.encode", (args) => bytesOf(args))],
]);

function pairsOf(value: unknown): [unknown, unknown][] {
  if (value === undefined) return [];
  if (value instanceof Map) return [...value];
  return iterableOf(value).map((pair) => {
    if (!Array.isArray(pair) || pair.length !== 2) throw new TypeError("OrderedDict items must be pairs");
    return [pair[0], pair[1]];
  });
}

function iterableOf(value: unknown): unknown[] {
  if (value === undefined) return [];
  if (Array.isArray(value)) return value;
  if (value instanceof Set || value instanceof Map) return [...value.keys()];
  throw new TypeError(`expected a sequence, got ${describe(value)}`);
}

function bytesOf(args: readonly unknown[]): Uint8Array {
  const [value, encoding] = args;
  if (value === undefined) return new Uint8Array();
  if (value instanceof Uint8Array) return value.slice();
  if (typeof value === "string" && (encoding === "latin1" || encoding === "latin-1")) {
    return Uint8Array.from(value, (c) => c.charCodeAt(0) & 0xff);
  }
  if (typeof value === "string" && (encoding === undefined || encoding === "utf-8" || encoding === "utf8")) {
    return new TextEncoder().encode(value);
  }
  throw new TypeError(`cannot make bytes from ${describe(value)} with encoding ${String(encoding)}`);
}

/**
 * A short Python-flavoured description of a value for error messages.
 *
 * @param value any unpickled value
 * @returns e.g. "a dict", "a str", "a tuple of 3"
 */
export function describe(value: unknown): string {
  if (value === null) return "None";
  if (typeof value === "string") return "a str";
  if (typeof value === "number" || typeof value === "bigint") return "a number";
  if (typeof value === "boolean") return "a bool";
  if (value instanceof Uint8Array) return "bytes";
  if (value instanceof Map) return "a dict";
  if (value instanceof Set) return "a set";
  if (Array.isArray(value)) {
    return Object.isFrozen(value) ? `a tuple of ${value.length}` : `a list of ${value.length}`;
  }
  if (value instanceof PickleCallable) return `the Python global ${value.name}`;
  if (typeof value === "object" && "dtype" in value && "shape" in value && Array.isArray(value.shape)) {
    return `a ${value.dtype} array of shape [${value.shape}]`;
  }
  return `a ${(value as object)?.constructor?.name ?? typeof value}`;
}

const MODULE_RENAMES: Readonly<Record<string, string>> = { __builtin__: "builtins", copy_reg: "copyreg" };

const latin1 = new TextDecoder("latin1");
const utf8 = new TextDecoder("utf-8");

/**
 * Unpickles one pickle.
 *
 * @param bytes buffer holding the pickle (at `options.offset`)
 * @param options allowed globals, persistent-id resolver, error factory
 * @returns the value and the offset after the pickle
 * @throws the error `options.error` builds (by default a DataError) when the pickle is truncated or
 *   malformed, uses an opcode outside protocols 2–5, names a global not in the table, or a global's
 *   handler rejects its arguments
 */
export function unpickle(bytes: Uint8Array, options: UnpickleOptions): Unpickled {
  const makeError = options.error ?? ((m: string) => new DataError(options.file ?? "<pickle>", m));
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let pos = options.offset ?? 0;
  let opStart = pos;
  const fail = (message: string): never => {
    throw makeError(`invalid pickle at byte ${opStart}: ${message}`);
  };

  const need = (n: number) => {
    if (n < 0 || pos + n > bytes.length) fail(`truncated (needs ${n} more bytes, the data ends first)`);
  };
  const u8 = () => (need(1), bytes[pos++]);
  const u16 = () => (need(2), pos += 2, view.getUint16(pos - 2, true));
  const i32 = () => (need(4), pos += 4, view.getInt32(pos - 4, true));
  const u32 = () => (need(4), pos += 4, view.getUint32(pos - 4, true));
  const u64 = () => {
    need(8);
    const n = view.getBigUint64(pos, true);
    pos += 8;
    if (n > BigInt(bytes.length)) fail(`a length of ${n} bytes exceeds the data`);
    return Number(n);
  };
  const take = (n: number) => (need(n), pos += n, bytes.subarray(pos - n, pos));
  const line = () => {
    const end = bytes.indexOf(0x0a, pos);
    if (end < 0) fail("truncated (a text argument has no end of line)");
    const text = latin1.decode(bytes.subarray(pos, end));
    pos = end + 1;
    return text;
  };
  const long = (n: number) => {
    const b = take(n);
    let v = 0n;
    for (let i = b.length - 1; i >= 0; i--) v = (v << 8n) | BigInt(b[i]);
    if (n > 0 && b[n - 1] & 0x80) v -= 1n << BigInt(8 * n);
    return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v;
  };

  let stack: unknown[] = [];
  const marks: unknown[][] = [];
  const memo = new Map<number, unknown>();
  const madeBy = new WeakMap<object, PickleCallable>();

  const pop = () => (stack.length ? stack.pop() : fail("stack underflow"));
  const top = () => (stack.length ? stack[stack.length - 1] : fail("stack underflow"));
  const popMark = () => {
    const items = stack;
    stack = marks.pop() ?? fail("no MARK to pop to");
    return items;
  };
  const findClass = (module: string, name: string) => {
    const key = `${MODULE_RENAMES[module] ?? module}.${name}`;
    if (options.globals.has(key)) return options.globals.get(key);
    const hint = options.unknownGlobalHint?.(key);
    return fail(`it uses the Python global ${key}, which is not allowed here${hint ? `; ${hint}` : ""}`);
  };
  const call = (callable: unknown, args: unknown) => {
    if (!(callable instanceof PickleCallable)) return fail(`cannot call ${describe(callable)}`);
    if (!Array.isArray(args)) {
      return fail(`${callable.name} called with ${describe(args)} instead of a tuple`);
    }
    let value: unknown;
    try {
      value = callable.call(args);
    } catch (error) {
      if (error instanceof TypeError || error instanceof RangeError) {
        fail(`${callable.name}: ${error.message}`);
      }
      throw error;
    }
    if (typeof value === "object" && value !== null) madeBy.set(value, callable);
    return value;
  };
  const setItems = (dict: unknown, items: unknown[]) => {
    if (!(dict instanceof Map)) return fail(`cannot set items on ${describe(dict)}`);
    if (items.length % 2) fail("odd number of items for a dict");
    for (let i = 0; i < items.length; i += 2) dict.set(items[i], items[i + 1]);
  };
  const appendTo = (list: unknown, items: unknown[]) => {
    if (!Array.isArray(list) || Object.isFrozen(list)) return fail(`cannot append to ${describe(list)}`);
    list.push(...items);
  };
  const memoGet = (
    index: number,
  ) => (memo.has(index) ? memo.get(index) : fail(`memo entry ${index} is missing`));

  for (;;) {
    opStart = pos;
    const op = u8();
    switch (op) {
      case 0x80: { // PROTO
        const version = u8();
        if (version > 5) fail(`pickle protocol ${version} is not supported (2-5 are)`);
        break;
      }
      case 0x95: // FRAME: framing is advisory; the opcodes follow inline
        u64();
        break;
      case 0x2e: // STOP
        if (stack.length !== 1 || marks.length) fail("STOP with an unbalanced stack");
        return { value: stack[0], end: pos };
      case 0x28: // MARK
        marks.push(stack);
        stack = [];
        break;
      case 0x30: // POP
        pop();
        break;
      case 0x31: // POP_MARK
        popMark();
        break;
      case 0x32: // DUP
        stack.push(top());
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
      case 0x8a: // LONG1
        stack.push(long(u8()));
        break;
      case 0x8b: { // LONG4
        const n = i32();
        if (n < 0) fail("negative LONG4 length");
        stack.push(long(n));
        break;
      }
      case 0x47: // BINFLOAT (big-endian double)
        need(8);
        stack.push(view.getFloat64(pos, false));
        pos += 8;
        break;
      case 0x55: // SHORT_BINSTRING (Python 2 str)
        stack.push(latin1.decode(take(u8())));
        break;
      case 0x54: { // BINSTRING (Python 2 str)
        const n = i32();
        if (n < 0) fail("negative BINSTRING length");
        stack.push(latin1.decode(take(n)));
        break;
      }
      case 0x8c: // SHORT_BINUNICODE
        stack.push(utf8.decode(take(u8())));
        break;
      case 0x58: // BINUNICODE
        stack.push(utf8.decode(take(u32())));
        break;
      case 0x8d: // BINUNICODE8
        stack.push(utf8.decode(take(u64())));
        break;
      case 0x43: // SHORT_BINBYTES
        stack.push(take(u8()).slice());
        break;
      case 0x42: // BINBYTES
        stack.push(take(u32()).slice());
        break;
      case 0x8e: // BINBYTES8
      case 0x96: // BYTEARRAY8
        stack.push(take(u64()).slice());
        break;
      case 0x5d: // EMPTY_LIST
        stack.push([]);
        break;
      case 0x61: { // APPEND
        const item = pop();
        appendTo(top(), [item]);
        break;
      }
      case 0x65: { // APPENDS
        const items = popMark();
        appendTo(top(), items);
        break;
      }
      case 0x6c: { // LIST
        const items = popMark();
        stack.push(items);
        break;
      }
      case 0x29: // EMPTY_TUPLE
        stack.push(Object.freeze([]));
        break;
      case 0x74: { // TUPLE
        const items = popMark();
        stack.push(Object.freeze(items));
        break;
      }
      case 0x85: // TUPLE1
        stack.push(Object.freeze([pop()]));
        break;
      case 0x86: { // TUPLE2
        const b = pop();
        stack.push(Object.freeze([pop(), b]));
        break;
      }
      case 0x87: { // TUPLE3
        const c = pop();
        const b = pop();
        stack.push(Object.freeze([pop(), b, c]));
        break;
      }
      case 0x7d: // EMPTY_DICT
        stack.push(new Map());
        break;
      case 0x64: { // DICT
        const dict = new Map();
        setItems(dict, popMark());
        stack.push(dict);
        break;
      }
      case 0x73: { // SETITEM
        const value = pop();
        const key = pop();
        setItems(top(), [key, value]);
        break;
      }
      case 0x75: { // SETITEMS
        const items = popMark();
        setItems(top(), items);
        break;
      }
      case 0x8f: // EMPTY_SET
        stack.push(new Set());
        break;
      case 0x90: { // ADDITEMS
        const items = popMark();
        const set = top();
        if (!(set instanceof Set)) fail(`cannot add items to ${describe(set)}`);
        for (const item of items) (set as Set<unknown>).add(item);
        break;
      }
      case 0x91: { // FROZENSET
        const items = popMark();
        stack.push(new Set(items));
        break;
      }
      case 0x63: { // GLOBAL
        const module = line();
        stack.push(findClass(module, line()));
        break;
      }
      case 0x93: { // STACK_GLOBAL
        const name = pop();
        const module = pop();
        if (typeof module !== "string" || typeof name !== "string") fail("STACK_GLOBAL needs two strings");
        stack.push(findClass(module as string, name as string));
        break;
      }
      case 0x52: { // REDUCE
        const args = pop();
        stack.push(call(pop(), args));
        break;
      }
      case 0x81: { // NEWOBJ
        const args = pop();
        stack.push(call(pop(), args));
        break;
      }
      case 0x92: { // NEWOBJ_EX
        const kwargs = pop();
        const args = pop();
        if (!(kwargs instanceof Map) || kwargs.size) {
          fail("NEWOBJ_EX with keyword arguments is not supported");
        }
        stack.push(call(pop(), args));
        break;
      }
      case 0x62: { // BUILD
        const state = pop();
        const value = top();
        const maker = typeof value === "object" && value !== null ? madeBy.get(value) : undefined;
        if (!maker?.setState) fail(`cannot set the state of ${describe(value)}`);
        let replacement: unknown;
        try {
          replacement = maker!.setState!(value, state);
        } catch (error) {
          if (error instanceof TypeError || error instanceof RangeError) {
            fail(`${maker!.name}: ${error.message}`);
          }
          throw error;
        }
        if (replacement !== undefined) stack[stack.length - 1] = replacement;
        break;
      }
      case 0x50: // PERSID
      case 0x51: { // BINPERSID
        const pid = op === 0x50 ? line() : pop();
        if (!options.persistentLoad) fail("it references external data (a persistent id), not allowed here");
        try {
          stack.push(options.persistentLoad!(pid));
        } catch (error) {
          if (error instanceof TypeError || error instanceof RangeError) fail(error.message);
          throw error;
        }
        break;
      }
      case 0x71: // BINPUT
        memo.set(u8(), top());
        break;
      case 0x72: // LONG_BINPUT
        memo.set(u32(), top());
        break;
      case 0x94: // MEMOIZE
        memo.set(memo.size, top());
        break;
      case 0x68: // BINGET
        stack.push(memoGet(u8()));
        break;
      case 0x6a: // LONG_BINGET
        stack.push(memoGet(u32()));
        break;
      default:
        fail(
          `unsupported opcode 0x${op.toString(16).padStart(2, "0")} ` +
            `(only what pickle protocols 2-5 write is supported; this may not be a pickle)`,
        );
    }
  }
}
