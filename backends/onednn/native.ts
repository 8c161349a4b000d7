/**
 * Checked access to oneDNN: the engine and stream of one process, status checks, out-parameters and
 * memory descriptors. Native objects created here live as long as the process (one engine, one stream).
 *
 * @module
 */
import { BackendError } from "../../kernel/errors.ts";
import { DNNL, type DnnlSymbols } from "./ffi.ts";

/** A loaded oneDNN: its bound functions, one CPU engine and one in-order stream. */
export interface DnnlContext {
  /** The bound C functions. */
  readonly lib: DnnlSymbols;
  /** `dnnl_engine_t` of CPU 0. */
  readonly engine: Deno.PointerValue;
  /** `dnnl_stream_t` on that engine (CPU streams are synchronous). */
  readonly stream: Deno.PointerValue;
}

const STATUS_NAMES = [
  "success",
  "out_of_memory",
  "invalid_arguments",
  "unimplemented",
  "iterator_ends",
  "runtime_error",
  "not_required",
];

/**
 * Throws unless a oneDNN call succeeded.
 *
 * @param status the `dnnl_status_t` returned
 * @param what the call and its arguments, for the message
 * @throws {BackendError} naming the call and the status
 */
export function check(status: number, what: string): void {
  if (status !== DNNL.success) {
    throw new BackendError("onednn", `${what} failed with dnnl status ${STATUS_NAMES[status] ?? status}`);
  }
}

/** A one-slot buffer for a C out-parameter of pointer type. */
export function outSlot(): BigUint64Array {
  return new BigUint64Array(1);
}

/**
 * Reads a pointer written by C into an out-parameter slot.
 *
 * @param slot the slot given to the C call
 * @param what the call, for the message
 * @returns the pointer
 * @throws {BackendError} when C wrote a null pointer
 */
export function pointerIn(slot: BigUint64Array, what: string): Deno.PointerObject {
  const pointer = Deno.UnsafePointer.create(slot[0]);
  if (pointer === null) throw new BackendError("onednn", `${what} returned a null handle`);
  return pointer;
}

/**
 * Converts dimensions to a `dnnl_dims_t` (`int64_t[12]`).
 *
 * @param values up to 12 integers
 * @returns the C array
 */
export function dnnlDims(values: readonly number[]): BigInt64Array {
  const out = new BigInt64Array(DNNL.MAX_NDIMS);
  values.forEach((v, i) => out[i] = BigInt(v));
  return out;
}

/**
 * Initialises a float32 memory descriptor.
 *
 * @param lib the bound functions
 * @param dims logical dimensions in oneDNN order (`n,c,h,w` for activations, `o,i,h,w` for weights)
 * @param tag the physical layout (`DNNL.tag_nhwc`, `DNNL.tag_hwio`, `DNNL.tag_a`, `DNNL.tag_any`)
 * @returns the `dnnl_memory_desc_t` bytes
 * @throws {BackendError} when oneDNN rejects the descriptor
 */
export function memoryDesc(lib: DnnlSymbols, dims: readonly number[], tag: number): Uint8Array {
  const md = new Uint8Array(DNNL.MEMORY_DESC_BYTES);
  check(
    lib.dnnl_memory_desc_init_by_tag(md, dims.length, dnnlDims(dims), DNNL.f32, tag),
    `dnnl_memory_desc_init_by_tag([${dims}], tag ${tag})`,
  );
  return md;
}

/** The dense row-major tags by rank: `a`, `ab`, `abc`, `abcd`. */
const DENSE_TAGS = [DNNL.tag_a, DNNL.tag_ab, DNNL.tag_abc, DNNL.tag_abcd];

/**
 * Initialises a float32 memory descriptor of a dense row-major buffer.
 *
 * @param lib the bound functions
 * @param dims 1 to 4 dimensions, the last one contiguous
 * @returns the `dnnl_memory_desc_t` bytes
 * @throws {RangeError} for another rank
 * @throws {BackendError} when oneDNN rejects the descriptor
 */
export function denseDesc(lib: DnnlSymbols, dims: readonly number[]): Uint8Array {
  const tag = DENSE_TAGS[dims.length - 1];
  if (tag === undefined) throw new RangeError(`denseDesc: rank ${dims.length} is not 1 to 4`);
  return memoryDesc(lib, dims, tag);
}

/**
 * Creates the engine and the stream.
 *
 * @param lib the bound functions
 * @returns the context
 * @throws {BackendError} when there is no CPU engine
 */
export function createContext(lib: DnnlSymbols): DnnlContext {
  const engineSlot = outSlot();
  check(lib.dnnl_engine_create(engineSlot, DNNL.cpu_engine, 0n), "dnnl_engine_create(cpu, 0)");
  const engine = pointerIn(engineSlot, "dnnl_engine_create");
  const streamSlot = outSlot();
  check(lib.dnnl_stream_create(streamSlot, engine, DNNL.stream_in_order), "dnnl_stream_create");
  return { lib, engine, stream: pointerIn(streamSlot, "dnnl_stream_create") };
}

/**
 * Reads the C string a primitive descriptor reports as its implementation (e.g. `jit:avx2`).
 *
 * @param lib the bound functions
 * @param pd a `dnnl_primitive_desc_t`
 * @returns the implementation name
 */
export function implName(lib: DnnlSymbols, pd: Deno.PointerValue): string {
  const slot = outSlot();
  check(lib.dnnl_primitive_desc_query(pd, DNNL.query_impl_info_str, 0, slot), "query impl_info_str");
  const pointer = Deno.UnsafePointer.create(slot[0]);
  return pointer === null ? "?" : new Deno.UnsafePointerView(pointer).getCString();
}
