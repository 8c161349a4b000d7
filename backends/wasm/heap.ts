/**
 * Raw pointers into the TensorFlow.js wasm backend's heap, so native code reads and writes tensors in
 * place. The heap's ArrayBuffer is replaced when wasm memory grows, so take pointers after every
 * allocation (`makeOutput`) and right before the native call.
 *
 * @module
 */
import { BackendError } from "../../kernel/errors.ts";
import { heapArenaOf } from "./heap_arena.ts";

/** The parts of the wasm backend (`BackendWasm`) this module relies on. */
export interface WasmBackendLike {
  /** The emscripten module; `HEAPU8` views the current wasm memory. */
  wasm: { HEAPU8: Uint8Array };
  /**
   * Per-tensor records: `memoryOffset` is the byte offset of the data in the heap; `has` tells whether
   * a tensor's data is still there (`get` of a freed one looks for it on other backends).
   */
  dataIdMap: {
    get(dataId: object): { memoryOffset: number | null } | undefined;
    has(dataId: object): boolean;
  };
  /** Allocates an output tensor in the heap. */
  makeOutput(shape: number[], dtype: "float32"): { dataId: object; shape: number[]; dtype: "float32" };
  /** Frees a tensor's data (one made by `makeOutput` and never handed to tfjs). */
  disposeData(dataId: object): boolean;
}

/**
 * Tells whether a backend looks like TensorFlow.js's wasm backend.
 *
 * @param backend any backend
 * @returns true when it has a wasm heap and a data map with memory offsets
 */
export function isWasmBackend(backend: unknown): backend is WasmBackendLike {
  const b = backend as Partial<WasmBackendLike> | null;
  return b != null && b.wasm?.HEAPU8 instanceof Uint8Array && typeof b.dataIdMap?.get === "function";
}

/**
 * A float32 view of a tensor's data in the wasm heap.
 *
 * @param backend the wasm backend
 * @param t the tensor
 * @returns the view, valid until the heap next grows (take it after every allocation)
 * @throws {BackendError} when the tensor has no data in the heap
 */
export function heapFloats(
  backend: WasmBackendLike,
  t: { dataId: object; shape: readonly number[] },
): Float32Array {
  const offset = backend.dataIdMap.get(t.dataId)?.memoryOffset;
  if (offset == null) throw new BackendError("wasm", "a kernel input has no data in the wasm heap");
  return new Float32Array(backend.wasm.HEAPU8.buffer, offset, t.shape.reduce((a, b) => a * b, 1));
}

/**
 * Pointers to the data of tensors living in the wasm heap.
 *
 * @param backend the wasm backend
 * @param dataIds the tensors' data ids
 * @returns one pointer per tensor, valid until the heap next grows
 * @throws {BackendError} when a tensor has no data in the heap
 */
export function heapPointers(backend: WasmBackendLike, dataIds: readonly object[]): Deno.PointerValue[] {
  const heap = backend.wasm.HEAPU8;
  const base = Deno.UnsafePointer.of(heap);
  return dataIds.map((dataId) => {
    const offset = backend.dataIdMap.get(dataId)?.memoryOffset;
    if (offset == null) throw new BackendError("wasm", "a kernel input has no data in the wasm heap");
    return Deno.UnsafePointer.offset(base as Deno.PointerObject, offset);
  });
}

/**
 * The heap size up to which a workspace may make the wasm heap grow. tfjs-backend-wasm does not check
 * its allocations (a failed one would place a tensor at address 0), so the top of the 4 GiB it
 * addresses stays for tensors; past this the primitive allocates its workspace natively.
 */
export const WORKSPACE_HEAP_LIMIT = 3 * 2 ** 30;

/**
 * Lends a primitive its workspace for one call in the wasm heap: there it takes room that freed
 * tensors left (pages already resident), where a native buffer would add to the process's memory.
 *
 * @param backend the wasm backend
 * @param bytes the workspace's size (0: none)
 * @returns a buffer to free with `disposeData` after the call, or null when none is needed, or the
 *   heap's arena (heap_arena.ts) has no room for it, or (without an arena) the heap could grow past
 *   {@link WORKSPACE_HEAP_LIMIT}
 */
export function lendWorkspace(backend: WasmBackendLike, bytes: number): { dataId: object } | null {
  if (bytes === 0) return null;
  const arena = heapArenaOf(backend);
  if (arena ? !arena.canFit(bytes) : backend.wasm.HEAPU8.byteLength + bytes > WORKSPACE_HEAP_LIMIT) {
    return null;
  }
  return backend.makeOutput([Math.ceil(bytes / 4)], "float32");
}
