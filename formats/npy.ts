/**
 * NumPy `.npy` files (format versions 1.0, 2.0 and 3.0): read and write plain numeric arrays.
 * Arrays are C-ordered; Fortran-ordered and structured arrays are refused with a clear error. Object
 * arrays (a pickle inside the .npy) are read by `clusters.ts`, through {@link parseNpyHeader}.
 *
 * @module
 */
import { DataError } from "../kernel/errors.ts";
import {
  type DType,
  DTYPE_BYTES,
  elementCount,
  littleEndianBytes,
  type NdArray,
  ndArrayProblem,
  typedArrayFromBytes,
} from "./ndarray.ts";
import { parsePythonLiteral } from "./python_literal.ts";
import { readBytes } from "./read_bytes.ts";

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // "\x93NUMPY"

/** numpy type code (without byte order) → our dtype. */
export const NUMPY_CODES: Readonly<Record<string, DType>> = {
  f2: "float16",
  f4: "float32",
  f8: "float64",
  i1: "int8",
  i2: "int16",
  i4: "int32",
  i8: "int64",
  u1: "uint8",
  b1: "bool",
};

/** Our dtype → numpy descr when written. */
const DESCRS: Readonly<Partial<Record<DType, string>>> = {
  float16: "<f2",
  float32: "<f4",
  float64: "<f8",
  int8: "|i1",
  int16: "<i2",
  int32: "<i4",
  int64: "<i8",
  uint8: "|u1",
  bool: "|b1",
};

/** The parsed header of a .npy file. */
export interface NpyHeader {
  /** numpy's dtype string, e.g. "<f4" or "|O". */
  descr: string;
  /** Array dimensions. */
  shape: number[];
  /** Byte offset of the data (after magic, version, length and header). */
  dataOffset: number;
}

/**
 * Parses the header of a .npy file (any version) and checks it describes a C-ordered array.
 *
 * @param bytes the whole file
 * @param file name used in error messages
 * @returns descr, shape and where the data begins
 * @throws {DataError} when the bytes are not a .npy file, the header is malformed or truncated, or
 *   the array is Fortran-ordered or structured
 */
export function parseNpyHeader(bytes: Uint8Array, file = "<npy>"): NpyHeader {
  if (bytes.length < 10 || MAGIC.some((b, i) => bytes[i] !== b)) {
    throw new DataError(file, 'not a .npy file (it does not start with "\\x93NUMPY")');
  }
  const major = bytes[6];
  if (major < 1 || major > 3) {
    throw new DataError(
      file,
      `unsupported .npy format version ${major}.${bytes[7]} (supported: 1.0, 2.0, 3.0)`,
    );
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const lengthBytes = major === 1 ? 2 : 4;
  if (bytes.length < 8 + lengthBytes) throw new DataError(file, "truncated .npy header");
  const headerLength = major === 1 ? view.getUint16(8, true) : view.getUint32(8, true);
  const dataOffset = 8 + lengthBytes + headerLength;
  if (dataOffset > bytes.length) {
    throw new DataError(file, `truncated .npy header: it claims ${headerLength} bytes, the file ends first`);
  }
  const text = new TextDecoder(major === 3 ? "utf-8" : "latin1").decode(
    bytes.subarray(8 + lengthBytes, dataOffset),
  );
  let header: unknown;
  try {
    header = parsePythonLiteral(text);
  } catch (error) {
    throw new DataError(
      file,
      `malformed .npy header ${JSON.stringify(text.trim())}: ${(error as Error).message}`,
    );
  }
  if (!(header instanceof Map)) throw new DataError(file, `.npy header is not a dict: ${text.trim()}`);
  const descr = header.get("descr");
  const fortran = header.get("fortran_order");
  const shape = header.get("shape");
  if (typeof descr !== "string") {
    throw new DataError(
      file,
      `unsupported .npy dtype ${JSON.stringify(descr)} (structured arrays are not supported)`,
    );
  }
  if (typeof fortran !== "boolean") throw new DataError(file, ".npy header lacks a boolean 'fortran_order'");
  if (fortran) {
    throw new DataError(
      file,
      "Fortran-ordered .npy arrays are not supported; save it with np.ascontiguousarray",
    );
  }
  if (
    !Array.isArray(shape) || shape.some((d) => typeof d !== "number" || !Number.isSafeInteger(d) || d < 0)
  ) {
    throw new DataError(file, `.npy header has an invalid shape ${JSON.stringify(shape)}`);
  }
  return { descr, shape: [...shape] as number[], dataOffset };
}

/**
 * Reads a numeric .npy array (v1/v2/v3 header, C order, either byte order).
 *
 * @param bytes the whole file
 * @param file name used in error messages
 * @returns the array, its data in this machine's byte order (sharing `bytes` when aligned)
 * @throws {DataError} when the file is not a .npy, is truncated, Fortran-ordered, or has a dtype
 *   other than f2/f4/f8/i1/i2/i4/i8/u1/b1 (object arrays: use readClustersNpy)
 */
export function readNpy(bytes: Uint8Array, file = "<npy>"): NdArray {
  const { descr, shape, dataOffset } = parseNpyHeader(bytes, file);
  const order = descr[0];
  const dtype = NUMPY_CODES[descr.slice(1)];
  if (descr === "|O") {
    throw new DataError(file, "holds pickled Python objects (dtype '|O'), not a numeric array");
  }
  if (!dtype || !"<>|=".includes(order)) {
    throw new DataError(
      file,
      `unsupported .npy dtype '${descr}' (supported: ${Object.keys(NUMPY_CODES).join(", ")})`,
    );
  }
  const size = elementCount(shape) * DTYPE_BYTES[dtype];
  const available = bytes.length - dataOffset;
  if (available < size) {
    throw new DataError(
      file,
      `truncated .npy data: shape [${shape}] ${dtype} needs ${size} bytes, found ${available}`,
    );
  }
  const data = typedArrayFromBytes(
    dtype,
    bytes.subarray(dataOffset, dataOffset + size),
    order !== ">",
    false,
  );
  return { shape, dtype, data };
}

/**
 * Encodes an array as a .npy file (format 1.0, or 2.0 for headers over 64 KiB), little-endian, C
 * order, header padded so the data starts on a 64-byte boundary, as numpy writes it.
 *
 * @param array the array
 * @returns the file's bytes
 * @throws {DataError} when the array is malformed or its dtype has no .npy equivalent (bfloat16)
 */
export function writeNpy(array: NdArray): Uint8Array {
  const problem = ndArrayProblem(array);
  if (problem) throw new DataError("<npy>", `cannot write the array: ${problem}`);
  const descr = DESCRS[array.dtype];
  if (!descr) throw new DataError("<npy>", `cannot write ${array.dtype} to .npy: numpy has no such dtype`);
  const shape = array.shape.length === 1 ? `(${array.shape[0]},)` : `(${array.shape.join(", ")})`;
  let header = `{'descr': '${descr}', 'fortran_order': False, 'shape': ${shape}, }`;
  const major = header.length + 11 > 0xffff ? 2 : 1;
  const prefix = major === 1 ? 10 : 12;
  header = header.padEnd(Math.ceil((prefix + header.length + 1) / 64) * 64 - prefix - 1, " ") + "\n";
  const data = littleEndianBytes(array);
  const out = new Uint8Array(prefix + header.length + data.length);
  out.set(MAGIC);
  out[6] = major;
  const view = new DataView(out.buffer);
  if (major === 1) view.setUint16(8, header.length, true);
  else view.setUint32(8, header.length, true);
  out.set(new TextEncoder().encode(header), prefix);
  out.set(data, prefix + header.length);
  return out;
}

/**
 * Reads a numeric .npy file from disk.
 *
 * @param path file path
 * @returns the array
 * @throws {DataError} when the file cannot be read or is not a valid numeric .npy
 */
export async function loadNpy(path: string): Promise<NdArray> {
  return readNpy(await readBytes(path, (message) => new DataError(path, message)), path);
}
