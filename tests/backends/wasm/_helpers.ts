/**
 * Helpers for the wasm kernel tests: seeded data, running a function on a chosen backend, and
 * comparing results across backends.
 *
 * @module
 */
import assert from "node:assert/strict";
import { tf } from "../../../backends/tf.ts";

/**
 * Deterministic pseudo-random values in [-0.5, 0.5) (a linear congruential generator).
 *
 * @param size number of values
 * @param seed any integer
 * @returns the values
 */
export function seeded(size: number, seed: number): Float32Array {
  const out = new Float32Array(size);
  let s = (seed * 2654435761) % 2147483648;
  for (let i = 0; i < size; i++) {
    s = (s * 1103515245 + 12345) % 2147483648;
    out[i] = s / 2147483648 - 0.5;
  }
  return out;
}

/**
 * Runs `f` on a backend inside `tf.tidy`, reads its tensors back and disposes them; also checks that
 * no tensor was left behind.
 *
 * @param backend "cpu" or "wasm"
 * @param f builds tensors from plain data and returns the tensors to read
 * @returns the values of the returned tensors
 * @throws {AssertionError} when the number of live tensors grew
 */
export async function onBackend(backend: string, f: () => tf.Tensor[]): Promise<Float32Array[]> {
  assert.ok(await tf.setBackend(backend), `backend ${backend} must load`);
  const before = tf.memory().numTensors;
  const out = tf.tidy(f);
  const values = await Promise.all(out.map((t) => t.data() as Promise<Float32Array>));
  tf.dispose(out);
  assert.equal(tf.memory().numTensors, before, `${backend}: tensors leaked`);
  return values;
}

/**
 * Asserts that two arrays agree to `tolerance` relative to the largest magnitude of `expected`.
 *
 * @param actual values to check
 * @param expected reference values
 * @param tolerance relative tolerance
 * @param what a label for the message
 * @throws {AssertionError} when they differ more
 */
export function assertClose(
  actual: Float32Array,
  expected: Float32Array,
  tolerance: number,
  what: string,
): void {
  assert.equal(actual.length, expected.length, `${what}: lengths differ`);
  let scale = 0;
  let worst = 0;
  for (let i = 0; i < expected.length; i++) {
    scale = Math.max(scale, Math.abs(expected[i]));
    worst = Math.max(worst, Math.abs(actual[i] - expected[i]));
  }
  assert.ok(scale > 0, `${what}: reference is all zeros`);
  assert.ok(worst <= tolerance * scale, `${what}: max error ${worst} > ${tolerance} × ${scale}`);
}
