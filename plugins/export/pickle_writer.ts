/**
 * A pickle writer for the few opcodes of protocol 2 that a `torch.save` state_dict uses: globals,
 * calls (REDUCE), tuples, text, integers, False, persistent ids (BINPERSID) and dict items.
 * Nothing is memoised: each global is written where it is used, which Python's unpickler accepts.
 *
 * @module
 */

/** Protocol-2 opcodes, by their names in Python's `pickletools`. */
export const OP = {
  PROTO: 0x80,
  STOP: 0x2e, // "."
  GLOBAL: 0x63, // "c"
  REDUCE: 0x52, // "R"
  MARK: 0x28, // "("
  TUPLE: 0x74, // "t"
  EMPTY_TUPLE: 0x29, // ")"
  BINUNICODE: 0x58, // "X"
  BININT: 0x4a, // "J"
  BININT1: 0x4b, // "K"
  BININT2: 0x4d, // "M"
  LONG1: 0x8a,
  NEWFALSE: 0x89,
  BINPERSID: 0x51, // "Q"
  SETITEMS: 0x75, // "u"
} as const;

/** Appends pickle opcodes to a growing buffer. */
export class PickleWriter {
  #bytes = new Uint8Array(1024);
  #length = 0;

  #reserve(n: number): void {
    if (this.#length + n <= this.#bytes.length) return;
    const grown = new Uint8Array(Math.max(this.#bytes.length * 2, this.#length + n));
    grown.set(this.#bytes.subarray(0, this.#length));
    this.#bytes = grown;
  }

  #raw(bytes: ArrayLike<number>): this {
    this.#reserve(bytes.length);
    this.#bytes.set(bytes, this.#length);
    this.#length += bytes.length;
    return this;
  }

  /**
   * Writes opcodes without arguments.
   *
   * @param codes the opcodes
   * @returns this writer
   */
  op(...codes: number[]): this {
    return this.#raw(codes);
  }

  /**
   * PROTO n: the header of a protocol-n pickle.
   *
   * @param version the protocol
   * @returns this writer
   */
  proto(version: number): this {
    return this.#raw([OP.PROTO, version]);
  }

  /**
   * GLOBAL: pushes `module.name`.
   *
   * @param module the Python module
   * @param name the name in it
   * @returns this writer
   */
  global(module: string, name: string): this {
    return this.op(OP.GLOBAL).#raw(new TextEncoder().encode(`${module}\n${name}\n`));
  }

  /**
   * BINUNICODE: pushes a str.
   *
   * @param text the string
   * @returns this writer
   */
  text(text: string): this {
    const utf8 = new TextEncoder().encode(text);
    const head = new Uint8Array(5);
    head[0] = OP.BINUNICODE;
    new DataView(head.buffer).setUint32(1, utf8.length, true);
    return this.#raw(head).#raw(utf8);
  }

  /**
   * Pushes an int with the shortest opcode (BININT1, BININT2, BININT, else LONG1).
   *
   * @param value a safe integer
   * @returns this writer
   */
  int(value: number): this {
    if (!Number.isSafeInteger(value)) throw new RangeError(`${value} is not a safe integer`);
    if (value >= 0 && value < 0x100) return this.#raw([OP.BININT1, value]);
    if (value >= 0 && value < 0x10000) return this.#raw([OP.BININT2, value & 0xff, value >> 8]);
    if (value >= -0x80000000 && value < 0x80000000) {
      const b = new Uint8Array(5);
      b[0] = OP.BININT;
      new DataView(b.buffer).setInt32(1, value, true);
      return this.#raw(b);
    }
    // LONG1: little-endian two's complement, as few bytes as keep the sign
    const bytes: number[] = [];
    let v = BigInt(value);
    do {
      bytes.push(Number(BigInt.asUintN(8, v)));
      v >>= 8n;
    } while (
      !((v === 0n && bytes[bytes.length - 1] < 0x80) || (v === -1n && bytes[bytes.length - 1] >= 0x80))
    );
    return this.#raw([OP.LONG1, bytes.length, ...bytes]);
  }

  /**
   * Pushes a tuple of ints (MARK … TUPLE, or EMPTY_TUPLE).
   *
   * @param values the ints
   * @returns this writer
   */
  intTuple(values: readonly number[]): this {
    if (values.length === 0) return this.op(OP.EMPTY_TUPLE);
    this.op(OP.MARK);
    for (const v of values) this.int(v);
    return this.op(OP.TUPLE);
  }

  /**
   * The pickle's bytes.
   *
   * @returns a copy of what was written
   */
  finish(): Uint8Array {
    return this.#bytes.slice(0, this.#length);
  }
}
