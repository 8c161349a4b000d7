/**
 * The Python globals a pickled numpy array uses, for {@link unpickle}: `_reconstruct` + BUILD gives
 * an {@link NdArray} (numeric dtypes) or a {@link NumpyObjectArray} (dtype object), `numpy.dtype`
 * gives a {@link NumpyDType}, `scalar` gives a number. Both numpy 1 (`numpy.core`) and numpy 2
 * (`numpy._core`) module names, and Python 2 pickles (byte strings as latin-1 text), are accepted.
 *
 * @module
 */
import { type DType, DTYPE_BYTES, elementCount, type NdArray, typedArrayFromBytes } from "./ndarray.ts";
import { BUILTIN_GLOBALS, describe, PickleCallable, type PickleGlobals } from "./pickle.ts";
import { NUMPY_CODES } from "./npy.ts";

/** A numpy dtype as pickled: its type code and byte order ("<", ">", "|", "="). */
export class NumpyDType {
  /** Byte order, set by BUILD; numpy's default is native (little-endian here). */
  order = "=";
  /**
   * @param code numpy's code without byte order, e.g. "f8", "O8"
   * @param dtype ours, or "object" for Python objects
   */
  constructor(readonly code: string, readonly dtype: DType | "object") {}
}

/** A numpy array of Python objects: its shape and its items in C order. */
export class NumpyObjectArray {
  /**
   * @param shape dimensions
   * @param items the objects
   */
  constructor(readonly shape: number[], readonly items: unknown[]) {}
}

/** An array between `_reconstruct` and its BUILD. */
class PendingArray {}

const CODES: Readonly<Record<string, DType | "object">> = { ...NUMPY_CODES, O4: "object", O8: "object" };

function toBytes(raw: unknown): Uint8Array {
  if (raw instanceof Uint8Array) return raw;
  if (typeof raw === "string") return Uint8Array.from(raw, (c) => c.charCodeAt(0) & 0xff); // Python 2 str
  throw new TypeError(`array data is ${describe(raw)}, not bytes`);
}

function makeDType(args: readonly unknown[]): NumpyDType {
  const code = args[0];
  const dtype = typeof code === "string" ? CODES[code] : undefined;
  if (!dtype) {
    throw new TypeError(
      `unsupported numpy dtype ${JSON.stringify(code)} (supported: ${Object.keys(CODES).join(", ")})`,
    );
  }
  return new NumpyDType(code as string, dtype);
}

function setDTypeState(value: unknown, state: unknown): undefined {
  if (!Array.isArray(state) || typeof state[1] !== "string") throw new TypeError("bad dtype state");
  (value as NumpyDType).order = state[1];
  return undefined;
}

function buildArray(_value: unknown, state: unknown): NdArray | NumpyObjectArray {
  if (!Array.isArray(state) || state.length !== 5) throw new TypeError("bad ndarray state");
  const [, rawShape, dtype, fortran, raw] = state;
  if (!Array.isArray(rawShape) || rawShape.some((d) => !Number.isSafeInteger(d) || d < 0)) {
    throw new TypeError("bad ndarray shape");
  }
  const shape = [...rawShape] as number[];
  if (!(dtype instanceof NumpyDType)) throw new TypeError("ndarray state lacks a dtype");
  const numel = elementCount(shape);
  if (fortran && shape.filter((d) => d > 1).length > 1) {
    throw new TypeError("Fortran-ordered arrays are not supported");
  }
  if (dtype.dtype === "object") {
    if (!Array.isArray(raw) || raw.length !== numel) {
      throw new TypeError("object array items do not match its shape");
    }
    return new NumpyObjectArray(shape, [...raw]);
  }
  const bytes = toBytes(raw);
  const size = numel * DTYPE_BYTES[dtype.dtype];
  if (bytes.length !== size) {
    throw new TypeError(`array data has ${bytes.length} bytes, shape [${shape}] needs ${size}`);
  }
  return {
    shape,
    dtype: dtype.dtype,
    data: typedArrayFromBytes(dtype.dtype, bytes, dtype.order !== ">", true),
  };
}

function scalar(args: readonly unknown[]): number | bigint | boolean {
  const [dtype, raw] = args;
  if (!(dtype instanceof NumpyDType) || dtype.dtype === "object") throw new TypeError("bad numpy scalar");
  const data = typedArrayFromBytes(dtype.dtype, toBytes(raw), dtype.order !== ">", true);
  if (data.length !== 1) throw new TypeError("numpy scalar data has the wrong size");
  const value = data[0];
  if (dtype.dtype === "bool") return value !== 0;
  if (
    typeof value === "bigint" && value >= BigInt(Number.MIN_SAFE_INTEGER) &&
    value <= BigInt(Number.MAX_SAFE_INTEGER)
  ) {
    return Number(value);
  }
  return value;
}

/**
 * The globals a pickled numpy array (and the builtins around it) may use.
 *
 * @returns "module.name" → value, for {@link unpickle}
 */
export function numpyGlobals(): PickleGlobals {
  const globals = new Map(BUILTIN_GLOBALS);
  const dtype = new PickleCallable("numpy.dtype", makeDType, setDTypeState);
  const reconstruct = new PickleCallable(
    "numpy.core.multiarray._reconstruct",
    () => new PendingArray(),
    buildArray,
  );
  globals.set("numpy.dtype", dtype);
  // Only ever an argument of _reconstruct.
  globals.set(
    "numpy.ndarray",
    new PickleCallable("numpy.ndarray", () => {
      throw new TypeError("numpy.ndarray cannot be called directly");
    }),
  );
  for (const module of ["numpy.core.multiarray", "numpy._core.multiarray"]) {
    globals.set(`${module}._reconstruct`, reconstruct);
    globals.set(`${module}.scalar`, new PickleCallable(`${module}.scalar`, scalar));
  }
  return globals;
}
