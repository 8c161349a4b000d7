/**
 * What the oneDNN kernel modules share: the kernel function's argument type, the kernel registered
 * before (the fallback for cases oneDNN does not cover) and the hand-back to it, and pointer offsets.
 *
 * @module
 */
import { BackendError } from "../../kernel/errors.ts";
import { tf } from "../tf.ts";

/** A kernel function's argument. */
export type KernelArgs = Parameters<tf.KernelFunc>[0];

/** The kernel that was registered before ours, called for the cases we hand back. */
export type Fallback = (args: KernelArgs) => tf.TensorInfo | tf.TensorInfo[];

/**
 * Runs the kernel registered before ours, or says why none can run.
 *
 * @param kernel the kernel name
 * @param fallback the kernel registered before, if any
 * @param args the call's arguments
 * @returns what the fallback returns
 * @throws {BackendError} when no other kernel is registered
 */
export function delegate(kernel: string, fallback: Fallback | undefined, args: KernelArgs) {
  if (fallback) return fallback(args);
  throw new BackendError(
    "onednn",
    `${kernel} on oneDNN needs float32 NHWC tensors on the wasm backend, and no other ${kernel} kernel ` +
      `is registered for backend "${tf.getBackend()}"`,
  );
}

/**
 * A pointer advanced by a number of float32 values.
 *
 * @param pointer a buffer's address
 * @param elements float32 values to skip
 * @returns the address `4 · elements` bytes on
 */
export function floatsOn(pointer: Deno.PointerValue, elements: number): Deno.PointerValue {
  return elements === 0 ? pointer : Deno.UnsafePointer.offset(pointer as Deno.PointerObject, 4 * elements);
}
