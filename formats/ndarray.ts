/**
 * Plain n-dimensional arrays: the common currency of the tensor file readers and writers (.npy, .pth,
 * safetensors). No TensorFlow.js here: an `NdArray` is a shape, a dtype and a flat typed array in C
 * (row-major) order, in this machine's byte order.
 *
 * @module
 */

/** Element types the readers and writers understand. */
export type DType =
  | "float32"
  | "float64"
  | "float16"
  | "bfloat16"
  | "int64"
  | "int32"
  | "int16"
  | "int8"
  | "uint8"
  | "bool";

/**
 * An n-dimensional array. `data` holds `shape.reduce(*)` elements in C order. float16 and bfloat16
 * elements are kept as their raw 16-bit patterns in a `Uint16Array`; bool as 0/1 in a `Uint8Array`.
 */
export interface NdArray {
  shape: number[];
  dtype: DType;
  data:
    | Float32Array
    | Float64Array
    | Int32Array
    | BigInt64Array
    | Int16Array
    | Int8Array
    | Uint8Array
    | Uint16Array;
}

/** The typed array behind each dtype. */
type DataOf = NdArray["data"];

/** Bytes per element of each dtype. */
export const DTYPE_BYTES: Readonly<Record<DType, number>> = {
  float32: 4,
  float64: 8,
  float16: 2,
  bfloat16: 2,
  int64: 8,
  int32: 4,
  int16: 2,
  int8: 1,
  uint8: 1,
  bool: 1,
};

const CONSTRUCTORS = {
  float32: Float32Array,
  float64: Float64Array,
  float16: Uint16Array,
  bfloat16: Uint16Array,
  int64: BigInt64Array,
  int32: Int32Array,
  int16: Int16Array,
  int8: Int8Array,
  uint8: Uint8Array,
  bool: Uint8Array,
} as const;

/** True when this machine stores numbers little-endian (every platform Deno ships for). */
export const HOST_LITTLE_ENDIAN: boolean = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/**
 * The number of elements of a shape (1 for a scalar, `[]`).
 *
 * @param shape dimensions
 * @returns their product
 */
export function elementCount(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

/**
 * The strides of a dense row-major (C-contiguous) array of a shape, in elements.
 *
 * @param shape dimensions
 * @returns the stride of each dimension (the last one 1)
 */
export function denseStrides(shape: readonly number[]): number[] {
  const strides = new Array<number>(shape.length);
  let stride = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    strides[i] = stride;
    stride *= shape[i];
  }
  return strides;
}

/**
 * Whether a string names a dtype of ours.
 *
 * @param name candidate dtype name
 * @returns true for the names of {@link DType}
 */
export function isDType(name: string): name is DType {
  return Object.hasOwn(DTYPE_BYTES, name);
}

/**
 * Builds the typed array of `dtype` over raw element bytes, swapping the byte order when the file's
 * order differs from this machine's. Shares `bytes`' memory when it can (aligned, same byte order, and
 * `copy` false); otherwise copies.
 *
 * @param dtype element type
 * @param bytes exactly `count × DTYPE_BYTES[dtype]` bytes
 * @param littleEndian byte order of `bytes`
 * @param copy always copy (the caller keeps using `bytes`, or several arrays share it)
 * @returns the typed array
 */
export function typedArrayFromBytes(
  dtype: DType,
  bytes: Uint8Array,
  littleEndian: boolean,
  copy: boolean,
): DataOf {
  const size = DTYPE_BYTES[dtype];
  const aligned = bytes.byteOffset % size === 0;
  const swap = size > 1 && littleEndian !== HOST_LITTLE_ENDIAN;
  const own = copy || !aligned || swap ? bytes.slice() : bytes;
  if (swap) swapBytes(own, size);
  return new CONSTRUCTORS[dtype](own.buffer as ArrayBuffer, own.byteOffset, own.byteLength / size);
}

/**
 * Reverses the byte order of every `size`-byte element of `bytes`, in place.
 *
 * @param bytes element bytes (length a multiple of `size`)
 * @param size bytes per element
 */
export function swapBytes(bytes: Uint8Array, size: number): void {
  for (let i = 0; i < bytes.length; i += size) {
    for (let a = i, b = i + size - 1; a < b; a++, b--) {
      const t = bytes[a];
      bytes[a] = bytes[b];
      bytes[b] = t;
    }
  }
}

/**
 * The little-endian bytes of an array's elements (a view when this machine is little-endian).
 *
 * @param array the array
 * @returns `elementCount(shape) × DTYPE_BYTES[dtype]` bytes
 */
export function littleEndianBytes(array: NdArray): Uint8Array {
  const view = new Uint8Array(array.data.buffer, array.data.byteOffset, array.data.byteLength);
  if (HOST_LITTLE_ENDIAN || DTYPE_BYTES[array.dtype] === 1) return view;
  const copy = view.slice();
  swapBytes(copy, DTYPE_BYTES[array.dtype]);
  return copy;
}

/**
 * Checks that an array is well-formed: a known dtype, non-negative integer dimensions, and a typed
 * array of the dtype's kind holding exactly as many elements as the shape says.
 *
 * @param array the array to check
 * @returns a description of the problem, or null when the array is fine
 */
export function ndArrayProblem(array: NdArray): string | null {
  if (!isDType(array.dtype)) return `unknown dtype "${array.dtype}"`;
  if (!Array.isArray(array.shape) || array.shape.some((d) => !Number.isSafeInteger(d) || d < 0)) {
    return `shape [${array.shape}] must be a list of non-negative integers`;
  }
  const kind = CONSTRUCTORS[array.dtype];
  if (!(array.data instanceof kind)) {
    return `dtype ${array.dtype} needs its data in a ${kind.name}, got ${array.data?.constructor?.name}`;
  }
  const n = elementCount(array.shape);
  if (array.data.length !== n) {
    return `shape [${array.shape}] has ${n} elements but data holds ${array.data.length}`;
  }
  return null;
}

/**
 * Decodes an IEEE 754 half-precision bit pattern.
 *
 * @param h 16-bit pattern
 * @returns its value
 */
export function float16ToNumber(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exponent = (h >> 10) & 0x1f;
  const fraction = h & 0x3ff;
  if (exponent === 0) return sign * fraction * 2 ** -24;
  if (exponent === 0x1f) return fraction ? NaN : sign * Infinity;
  return sign * (1 + fraction / 1024) * 2 ** (exponent - 15);
}

/**
 * An array's values as float32 (float16/bfloat16 decoded, integers converted; float64 rounded).
 * Returns `data` itself when it already is a Float32Array.
 *
 * @param array any array
 * @returns its elements as a Float32Array, in C order
 */
export function toFloat32(array: NdArray): Float32Array {
  const { data, dtype } = array;
  if (data instanceof Float32Array) return data;
  const out = new Float32Array(data.length);
  if (dtype === "float16") {
    for (let i = 0; i < data.length; i++) out[i] = float16ToNumber(data[i] as number);
  } else if (dtype === "bfloat16") {
    const bits = new Uint32Array(out.buffer);
    for (let i = 0; i < data.length; i++) bits[i] = (data[i] as number) << 16;
  } else if (data instanceof BigInt64Array) {
    for (let i = 0; i < data.length; i++) out[i] = Number(data[i]);
  } else {
    out.set(data as ArrayLike<number>);
  }
  return out;
}
