/**
 * The Python globals a PyTorch `torch.save` pickle uses, for {@link unpickle}: storage classes,
 * `_rebuild_tensor_v2` & co. Tensors come out as {@link TensorRef}s (storage + offset + size + stride)
 * that {@link materialize} turns into contiguous {@link NdArray}s once the storages' bytes are known.
 *
 * @module
 */
import { type DType, DTYPE_BYTES, elementCount, type NdArray, typedArrayFromBytes } from "./ndarray.ts";
import { BUILTIN_GLOBALS, PickleCallable, type PickleGlobals } from "./pickle.ts";

/** A torch storage class (`torch.FloatStorage` …) as the pickle names it. */
export class StorageType {
  /**
   * @param name Python name, e.g. "torch.FloatStorage"
   * @param dtype element type
   */
  constructor(readonly name: string, readonly dtype: DType) {}
}

/** One storage of the checkpoint: its key, type, element count, and (once read) its bytes. */
export interface Storage {
  key: string;
  dtype: DType;
  numel: number;
  /** `numel × DTYPE_BYTES[dtype]` bytes, in `littleEndian` order; set by the format reader. */
  bytes?: Uint8Array;
  littleEndian: boolean;
  /** How many tensors view this storage (a sole user may share the storage's memory). */
  users: number;
}

/** A tensor as the pickle describes it: a strided view of a storage (offsets and strides in elements). */
export class TensorRef {
  /**
   * @param storage the storage it views
   * @param offset first element
   * @param shape dimensions
   * @param stride element step per dimension
   */
  constructor(
    readonly storage: Storage,
    readonly offset: number,
    readonly shape: number[],
    readonly stride: number[],
  ) {}
}

const STORAGES: Readonly<Record<string, DType>> = {
  FloatStorage: "float32",
  DoubleStorage: "float64",
  HalfStorage: "float16",
  BFloat16Storage: "bfloat16",
  LongStorage: "int64",
  IntStorage: "int32",
  ShortStorage: "int16",
  CharStorage: "int8",
  ByteStorage: "uint8",
  BoolStorage: "bool",
};

/** torch dtype objects (`torch.float32` …), used by `_rebuild_tensor_v3`. */
const DTYPES: Readonly<Record<string, DType>> = {
  float32: "float32",
  float: "float32",
  float64: "float64",
  double: "float64",
  float16: "float16",
  half: "float16",
  bfloat16: "bfloat16",
  int64: "int64",
  long: "int64",
  int32: "int32",
  int: "int32",
  int16: "int16",
  short: "int16",
  int8: "int8",
  uint8: "uint8",
  bool: "bool",
};

function intList(value: unknown, what: string): number[] {
  if (!Array.isArray(value) || value.some((v) => !Number.isSafeInteger(v) || (v as number) < 0)) {
    throw new TypeError(`${what} must be a tuple of non-negative integers`);
  }
  return value as number[];
}

function tensorRef(args: readonly unknown[]): TensorRef {
  const [storage, offset, size, stride] = args;
  if (typeof storage !== "object" || storage === null || !("key" in storage)) {
    throw new TypeError("the first argument is not a tensor storage");
  }
  if (!Number.isSafeInteger(offset) || (offset as number) < 0) throw new TypeError("bad storage offset");
  const shape = intList(size, "size");
  const strides = intList(stride, "stride");
  if (strides.length !== shape.length) {
    throw new TypeError(`size [${shape}] and stride [${strides}] differ in rank`);
  }
  (storage as Storage).users++;
  return new TensorRef(storage as Storage, offset as number, shape, strides);
}

function rebuildParameter(args: readonly unknown[]): unknown {
  if (!(args[0] instanceof TensorRef)) throw new TypeError("a Parameter must wrap a tensor");
  return args[0];
}

function rebuildFromType(args: readonly unknown[]): unknown {
  const [fn, , fnArgs] = args;
  if (!(fn instanceof PickleCallable) || !Array.isArray(fnArgs)) throw new TypeError("bad arguments");
  return fn.call(fnArgs);
}

/** A marker class that may be named (as `_rebuild_from_type_v2`'s type) but not called. */
function typeMarker(name: string): PickleCallable {
  return new PickleCallable(name, () => {
    throw new TypeError(`${name} cannot be constructed from a pickle here`);
  });
}

/**
 * The globals a state_dict pickle may use: OrderedDict, storage classes, tensor and parameter
 * rebuilders, torch dtypes.
 *
 * @returns "module.name" → value, for {@link unpickle}
 */
export function torchGlobals(): PickleGlobals {
  const globals = new Map(BUILTIN_GLOBALS);
  for (const [name, dtype] of Object.entries(STORAGES)) {
    globals.set(`torch.${name}`, new StorageType(`torch.${name}`, dtype));
  }
  for (const [name, dtype] of Object.entries(DTYPES)) globals.set(`torch.${name}`, dtype);
  const rebuild = (name: string, fn: (args: readonly unknown[]) => unknown) =>
    globals.set(name, new PickleCallable(name, fn));
  rebuild("torch._utils._rebuild_tensor", tensorRef);
  rebuild("torch._utils._rebuild_tensor_v2", tensorRef);
  rebuild("torch._utils._rebuild_tensor_v3", (args) => {
    const ref = tensorRef(args);
    if (args[6] !== ref.storage.dtype) {
      throw new TypeError(`tensor dtype ${args[6]} differs from its storage's`);
    }
    return ref;
  });
  rebuild("torch._utils._rebuild_parameter", rebuildParameter);
  rebuild("torch._utils._rebuild_parameter_with_state", rebuildParameter);
  rebuild("torch._tensor._rebuild_from_type_v2", rebuildFromType);
  globals.set("torch.nn.parameter.Parameter", typeMarker("torch.nn.parameter.Parameter"));
  globals.set("torch.Tensor", typeMarker("torch.Tensor"));
  return globals;
}

/**
 * Explains an unknown global in a torch pickle: a storage type we cannot read, or a pickled object
 * (a whole nn.Module) instead of a state_dict.
 *
 * @param name the global, "module.name"
 * @returns the hint for the error message
 */
export function torchGlobalHint(name: string): string {
  if (/^torch\.\w+Storage$/.test(name)) {
    return `its tensors have an unsupported dtype (${name}); supported: ${Object.keys(STORAGES).join(", ")}`;
  }
  return "the file holds a pickled Python object (a whole nn.Module?), not a state_dict; " +
    "re-save it with torch.save(model.state_dict(), path)";
}

/**
 * Makes a storage from a persistent id's fields.
 *
 * @param type the storage class from the pickle
 * @param key the storage's key (zip entry name or legacy root key)
 * @param numel its element count
 * @param littleEndian the checkpoint's byte order
 * @returns the storage, without bytes yet
 * @throws {TypeError} when `type` is not a storage class or `numel` is not a count
 */
export function makeStorage(type: unknown, key: unknown, numel: unknown, littleEndian: boolean): Storage {
  if (!(type instanceof StorageType)) throw new TypeError("persistent id names no storage type");
  if (typeof key !== "string") throw new TypeError("storage key must be a string");
  if (!Number.isSafeInteger(numel) || (numel as number) < 0) throw new TypeError("bad storage size");
  return { key, dtype: type.dtype, numel: numel as number, littleEndian, users: 0 };
}

/**
 * Turns a strided tensor view into a contiguous C-ordered array. Shares the storage's memory when the
 * tensor is its only user, is contiguous, aligned and in this machine's byte order; copies otherwise.
 *
 * @param ref the tensor
 * @returns the array
 * @throws {RangeError} when the storage has no bytes or the view reaches past its end
 */
export function materialize(ref: TensorRef): NdArray {
  const { storage, offset, shape, stride } = ref;
  const { dtype } = storage;
  const size = DTYPE_BYTES[dtype];
  const bytes = storage.bytes;
  if (!bytes) throw new RangeError(`storage ${storage.key} has no data`);
  const numel = elementCount(shape);
  const last = numel === 0 ? offset : offset + shape.reduce((s, d, i) => s + (d - 1) * stride[i], 0);
  if (numel > 0 && last >= storage.numel) {
    throw new RangeError(
      `a tensor of shape [${shape}] at offset ${offset} reads past the end of storage ${storage.key} ` +
        `(${storage.numel} elements)`,
    );
  }
  let expected = 1;
  let contiguous = true;
  for (let i = shape.length - 1; i >= 0; i--) {
    if (shape[i] !== 1 && stride[i] !== expected) contiguous = false;
    expected *= shape[i];
  }
  if (contiguous) {
    const slice = bytes.subarray(offset * size, (offset + numel) * size);
    return { shape, dtype, data: typedArrayFromBytes(dtype, slice, storage.littleEndian, storage.users > 1) };
  }
  const out = new Uint8Array(numel * size);
  const index = new Array(shape.length).fill(0);
  let source = offset;
  for (let n = 0; n < numel; n++) {
    out.set(bytes.subarray(source * size, source * size + size), n * size);
    for (let d = shape.length - 1; d >= 0; d--) {
      if (++index[d] < shape[d]) {
        source += stride[d];
        break;
      }
      source -= (shape[d] - 1) * stride[d];
      index[d] = 0;
    }
  }
  return { shape, dtype, data: typedArrayFromBytes(dtype, out, storage.littleEndian, false) };
}
