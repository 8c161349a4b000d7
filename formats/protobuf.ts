/**
 * A minimal protocol-buffers writer (the wire format of https://protobuf.dev/programming-guides/encoding/):
 * enough to encode ONNX models field by field without a schema compiler. A message is built with
 * {@link ProtoWriter} and its bytes nest as a length-delimited field of the parent.
 *
 * @module
 */

const WIRE_VARINT = 0;
const WIRE_FIXED32 = 5;
const WIRE_BYTES = 2;

/** Builds one message's bytes, field by field, in the order they are written. */
export class ProtoWriter {
  readonly #chunks: Uint8Array[] = [];
  #length = 0;
  #scratch: number[] = [];

  #flushScratch(): void {
    if (this.#scratch.length === 0) return;
    this.#push(Uint8Array.from(this.#scratch));
    this.#scratch = [];
  }

  #push(bytes: Uint8Array): void {
    this.#chunks.push(bytes);
    this.#length += bytes.length;
  }

  #varint(value: bigint): void {
    // negative int64 values are written as their 64-bit two's complement, ten bytes long
    let v = BigInt.asUintN(64, value);
    while (v >= 0x80n) {
      this.#scratch.push(Number(v & 0x7fn) | 0x80);
      v >>= 7n;
    }
    this.#scratch.push(Number(v));
  }

  #tag(field: number, wire: number): void {
    this.#varint(BigInt((field << 3) | wire));
  }

  /**
   * Writes a varint field (int32, int64, enum, bool).
   *
   * @param field the field number
   * @param value the value (a safe integer or a bigint)
   * @returns this writer
   */
  int(field: number, value: number | bigint): this {
    this.#tag(field, WIRE_VARINT);
    this.#varint(BigInt(value));
    return this;
  }

  /**
   * Writes a 32-bit float field.
   *
   * @param field the field number
   * @param value the value
   * @returns this writer
   */
  float(field: number, value: number): this {
    this.#tag(field, WIRE_FIXED32);
    const bytes = new Uint8Array(4);
    new DataView(bytes.buffer).setFloat32(0, value, true);
    this.#scratch.push(...bytes);
    return this;
  }

  /**
   * Writes a length-delimited field: raw bytes, or a nested message's bytes.
   *
   * @param field the field number
   * @param bytes the payload
   * @returns this writer
   */
  bytes(field: number, bytes: Uint8Array): this {
    this.#tag(field, WIRE_BYTES);
    this.#varint(BigInt(bytes.length));
    this.#flushScratch();
    this.#push(bytes);
    return this;
  }

  /**
   * Writes a UTF-8 string field.
   *
   * @param field the field number
   * @param text the string
   * @returns this writer
   */
  string(field: number, text: string): this {
    return this.bytes(field, new TextEncoder().encode(text));
  }

  /**
   * Writes a nested message field (sharing its bytes: do not write to `message` afterwards).
   *
   * @param field the field number
   * @param message the nested message's writer
   * @returns this writer
   */
  message(field: number, message: ProtoWriter): this {
    // the nested message's chunks are shared, not copied: a model's weights are copied once, by finish()
    message.#flushScratch();
    this.#tag(field, WIRE_BYTES);
    this.#varint(BigInt(message.#length));
    this.#flushScratch();
    for (const chunk of message.#chunks) this.#push(chunk);
    return this;
  }

  /**
   * The message's bytes.
   *
   * @returns the concatenated fields
   */
  finish(): Uint8Array {
    this.#flushScratch();
    const out = new Uint8Array(this.#length);
    let at = 0;
    for (const chunk of this.#chunks) {
      out.set(chunk, at);
      at += chunk.length;
    }
    return out;
  }
}
