/**
 * Raw pointers into the TensorFlow.js wasm backend's heap, so native code reads and writes tensors in
 * place. The heap's ArrayBuffer is replaced when wasm memory grows, so take pointers after every
 * allocation (`makeOutput`) and right before the native call.
 *
 * @module
 */
import { BackendError } from "../../kernel/errors.ts";

/** The parts of the wasm backend (`BackendWasm`) this module relies on. */
export interface WasmBackendLike {
  /** The emscripten module; `HEAPU8` views the current wasm memory. */
  wasm: { HEAPU8: Uint8Array };
  /** Per-tensor records: `memoryOffset` is the byte offset of the data in the heap. */
  dataIdMap: { get(dataId: object): { memoryOffset: number | null } | undefined };
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
    if (offset == null) throw new BackendError("onednn", "a convolution input has no data in the wasm heap");
    return Deno.UnsafePointer.offset(base as Deno.PointerObject, offset);
  });
}
