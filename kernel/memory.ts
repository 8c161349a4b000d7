/**
 * Tensor lifetime helpers, so plugin authors do not leak. A training step runs in `tidy`; long-lived
 * tensors are kept with `keep` and released with `disposeAll`; `checkNoLeak` guards a block.
 *
 * @module
 */
import { tf } from "../backends/tf.ts";

/** Anything that may hold tensors: a tensor, an array, a map or an object of them. */
export type TensorContainer = unknown;

/** Disposes every tensor found in `value` (arrays, maps, plain objects; other values are ignored). */
export function disposeAll(value: TensorContainer): void {
  if (value instanceof tf.Tensor) {
    if (!value.isDisposed) value.dispose();
  } else if (Array.isArray(value)) {
    for (const v of value) disposeAll(v);
  } else if (value instanceof Map) {
    for (const v of value.values()) disposeAll(v);
  } else if (
    value !== null && typeof value === "object" && Object.getPrototypeOf(value) === Object.prototype
  ) {
    for (const v of Object.values(value)) disposeAll(v);
  }
}

/** The number of live tensors. */
export function liveTensors(): number {
  return tf.memory().numTensors;
}

/**
 * Runs `fn` and throws if it leaves more live tensors behind than `allowed` (default 0): the result's
 * own tensors count, so dispose or return nothing when checking a step.
 *
 * @throws {Error} naming `label` and the number of leaked tensors
 */
export async function checkNoLeak<T>(label: string, fn: () => T | Promise<T>, allowed = 0): Promise<T> {
  const before = liveTensors();
  const result = await fn();
  const leaked = liveTensors() - before;
  if (leaked > allowed) throw new Error(`${label} leaked ${leaked} tensor(s) (allowed ${allowed})`);
  return result;
}
