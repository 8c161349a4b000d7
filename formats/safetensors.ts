/**
 * The safetensors format (https://github.com/huggingface/safetensors): an 8-byte little-endian header
 * length, a JSON header (`{"name": {"dtype": "F32", "shape": [...], "data_offsets": [begin, end]},
 * "__metadata__": {string: string}}`, padded with spaces to a multiple of 8 bytes), then the tensors'
 * little-endian bytes, back to back, without holes.
 *
 * @module
 */
import { CheckpointError } from "../kernel/errors.ts";
import { writeFileAtomic } from "./atomic.ts";
import {
  type DType,
  DTYPE_BYTES,
  elementCount,
  littleEndianBytes,
  type NdArray,
  ndArrayProblem,
  typedArrayFromBytes,
} from "./ndarray.ts";
import { readBytes } from "./read_bytes.ts";

const CODES: Readonly<Record<DType, string>> = {
  float64: "F64",
  float32: "F32",
  float16: "F16",
  bfloat16: "BF16",
  int64: "I64",
  int32: "I32",
  int16: "I16",
  int8: "I8",
  uint8: "U8",
  bool: "BOOL",
};
const DTYPES = new Map(Object.entries(CODES).map(([dtype, code]) => [code, dtype as DType]));

/** The safetensors reference implementation refuses headers over 100 MB. */
const MAX_HEADER = 100_000_000;

/** A decoded safetensors file. */
export interface Safetensors {
  tensors: Map<string, NdArray>;
  metadata: Record<string, string>;
}

/**
 * Encodes tensors (and string metadata) as a safetensors file. Tensors are laid out by decreasing
 * element size, then name, so every tensor's data is aligned to its element size.
 *
 * @param tensors name → array
 * @param metadata free-form string pairs stored under `__metadata__`
 * @returns the file's bytes
 * @throws {CheckpointError} when an array is malformed, a name is "__metadata__" or a metadata value
 *   is not a string
 */
export function encodeSafetensors(
  tensors: Map<string, NdArray>,
  metadata: Record<string, string> = {},
): Uint8Array {
  const fail = (message: string) => new CheckpointError("<safetensors>", `cannot encode: ${message}`);
  for (const [key, value] of Object.entries(metadata)) {
    if (typeof value !== "string") throw fail(`metadata "${key}" is a ${typeof value}, not a string`);
  }
  const order = [...tensors].sort(([a, x], [b, y]) =>
    DTYPE_BYTES[y.dtype] - DTYPE_BYTES[x.dtype] || (a < b ? -1 : a > b ? 1 : 0)
  );
  const header: Record<string, unknown> = Object.keys(metadata).length ? { __metadata__: metadata } : {};
  const parts: Uint8Array[] = [];
  let offset = 0;
  for (const [name, array] of order) {
    if (name === "__metadata__") throw fail('a tensor cannot be named "__metadata__"');
    const problem = ndArrayProblem(array);
    if (problem) throw fail(`tensor "${name}": ${problem}`);
    const bytes = littleEndianBytes(array);
    header[name] = {
      dtype: CODES[array.dtype],
      shape: array.shape,
      data_offsets: [offset, offset + bytes.length],
    };
    parts.push(bytes);
    offset += bytes.length;
  }
  let json = JSON.stringify(header);
  const jsonBytes = new TextEncoder().encode(json);
  json += " ".repeat((8 - (jsonBytes.length % 8)) % 8);
  const head = new TextEncoder().encode(json);
  const out = new Uint8Array(8 + head.length + offset);
  new DataView(out.buffer).setBigUint64(0, BigInt(head.length), true);
  out.set(head, 8);
  let at = 8 + head.length;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}

/**
 * Decodes a safetensors file, checking the header against the format's rules.
 *
 * @param bytes the whole file
 * @param file name used in error messages
 * @returns the tensors (in header order; aligned ones share `bytes`' memory) and the metadata
 * @throws {CheckpointError} when the file is truncated, the header is not valid JSON or breaks the
 *   format (unknown dtype, offsets that overlap, leave holes, disagree with the shape or run past the
 *   end), or metadata values are not strings
 */
export function decodeSafetensors(bytes: Uint8Array, file = "<safetensors>"): Safetensors {
  const fail = (message: string) => new CheckpointError(file, `invalid safetensors file: ${message}`);
  if (bytes.length < 8) throw fail(`only ${bytes.length} bytes, less than the 8-byte header length`);
  const length = new DataView(bytes.buffer, bytes.byteOffset, 8).getBigUint64(0, true);
  if (length > BigInt(Math.min(MAX_HEADER, bytes.length - 8))) {
    throw fail(`the header claims ${length} bytes, the file has ${bytes.length - 8} after the length`);
  }
  const start = 8 + Number(length);
  let header: unknown;
  try {
    header = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(bytes.subarray(8, start)));
  } catch (error) {
    throw fail(`the header is not valid JSON (${(error as Error).message})`);
  }
  if (typeof header !== "object" || header === null || Array.isArray(header)) {
    throw fail("the header is not an object");
  }
  const metadata: Record<string, string> = {};
  const spans: [number, number, string][] = [];
  const tensors = new Map<string, NdArray>();
  for (const [name, info] of Object.entries(header as Record<string, unknown>)) {
    if (name === "__metadata__") {
      if (typeof info !== "object" || info === null) throw fail("__metadata__ is not an object");
      for (const [key, value] of Object.entries(info)) {
        if (typeof value !== "string") throw fail(`metadata "${key}" is not a string`);
        metadata[key] = value;
      }
      continue;
    }
    const { dtype: code, shape, data_offsets: offsets } = (info ?? {}) as Record<string, unknown>;
    const dtype = DTYPES.get(code as string);
    if (!dtype) throw fail(`tensor "${name}" has unsupported dtype ${JSON.stringify(code)}`);
    if (!Array.isArray(shape) || shape.some((d) => !Number.isSafeInteger(d) || d < 0)) {
      throw fail(`tensor "${name}" has an invalid shape ${JSON.stringify(shape)}`);
    }
    if (
      !Array.isArray(offsets) || offsets.length !== 2 ||
      offsets.some((o) => !Number.isSafeInteger(o) || o < 0)
    ) {
      throw fail(`tensor "${name}" has invalid data_offsets ${JSON.stringify(offsets)}`);
    }
    const [begin, end] = offsets as number[];
    const size = elementCount(shape) * DTYPE_BYTES[dtype];
    if (end - begin !== size) {
      throw fail(
        `tensor "${name}" (${dtype} [${shape}]) needs ${size} bytes, data_offsets span ${end - begin}`,
      );
    }
    if (start + end > bytes.length) throw fail(`tensor "${name}" lies past the end of the file (truncated?)`);
    spans.push([begin, end, name]);
    const data = typedArrayFromBytes(dtype, bytes.subarray(start + begin, start + end), true, false);
    tensors.set(name, { shape: [...shape], dtype, data });
  }
  spans.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  let covered = 0;
  for (const [begin, end, name] of spans) {
    if (begin !== covered) {
      throw fail(`tensor "${name}" ${begin < covered ? "overlaps another" : "leaves a hole"}`);
    }
    covered = end;
  }
  if (start + covered !== bytes.length) {
    throw fail(`${bytes.length - start - covered} bytes after the last tensor belong to no tensor`);
  }
  return { tensors, metadata };
}

/**
 * Writes tensors to a safetensors file atomically (temp file + fsync + rename).
 *
 * @param path destination
 * @param tensors name → array
 * @param metadata string pairs for `__metadata__`
 * @throws {CheckpointError} when an array cannot be encoded
 * @throws {DataError} when the file cannot be written (the old file is then unchanged)
 */
export async function saveSafetensors(
  path: string,
  tensors: Map<string, NdArray>,
  metadata?: Record<string, string>,
): Promise<void> {
  await writeFileAtomic(path, encodeSafetensors(tensors, metadata));
}

/**
 * Reads a safetensors file.
 *
 * @param path file path
 * @returns the tensors and the metadata
 * @throws {CheckpointError} when the file cannot be read or is not valid safetensors
 */
export async function loadSafetensors(path: string): Promise<Safetensors> {
  return decodeSafetensors(await readBytes(path, (message) => new CheckpointError(path, message)), path);
}
