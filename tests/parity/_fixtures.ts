/**
 * Helpers of the parity tests: the official PyTorch fixtures (tests/fixtures/pytorch-parity/) as
 * NHWC tensors, their checkpoints, and the max-abs-error comparison.
 *
 * @module
 */
import { fileURLToPath } from "node:url";
import { tf } from "../../backends/tf.ts";
import { loadOneDnn } from "../../backends/onednn/mod.ts";
import { selectBackend } from "../../backends/select.ts";
import { loadNpy } from "../../formats/npy.ts";
import { loadPth } from "../../formats/pth.ts";
import { type NdArray, toFloat32 } from "../../formats/ndarray.ts";

/** The parity fixture folder. */
export const FIXTURES = fileURLToPath(new URL("../fixtures/pytorch-parity/", import.meta.url));

/** The tolerance of every parity check (max abs error). */
export const TOLERANCE = 1e-4;

/**
 * A fixture array as it was saved (PyTorch layout).
 *
 * @param name file name in the fixture folder
 * @returns the array
 */
export function fixtureArray(name: string): Promise<NdArray> {
  return loadNpy(FIXTURES + name);
}

/**
 * An NCHW fixture as an NHWC float32 tensor.
 *
 * @param name `.npy` file name in the fixture folder
 * @returns a new tensor; the caller disposes it
 */
export async function fixtureNhwc(name: string): Promise<tf.Tensor4D> {
  const array = await fixtureArray(name);
  return tf.tidy(() =>
    tf.transpose(tf.tensor4d(toFloat32(array), array.shape as [number, number, number, number]), [0, 2, 3, 1])
  );
}

/**
 * A fixture checkpoint.
 *
 * @param name `.pth` file name in the fixture folder
 * @returns its state_dict
 */
export function fixtureCheckpoint(name: string): Promise<Map<string, NdArray>> {
  return loadPth(FIXTURES + name);
}

/**
 * The largest absolute difference between two equal-length arrays.
 *
 * @param a values
 * @param b expected values
 * @returns max |a - b| (Infinity when the lengths differ or a value is NaN)
 */
export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) return Infinity;
  let max = 0;
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(a[i] - b[i]);
    if (!(d <= max)) max = Number.isNaN(d) ? Infinity : d;
  }
  return max;
}

/**
 * The max abs error of an NHWC tensor against an NCHW fixture (shapes must agree).
 *
 * @param actual our NHWC result
 * @param name the fixture's `.npy` name
 * @returns the max abs error, or Infinity on a shape mismatch
 */
export async function errorAgainst(actual: tf.Tensor, name: string): Promise<number> {
  const want = await fixtureArray(name);
  const nchw = actual.rank === 4 ? tf.transpose(actual, [0, 3, 1, 2]) : tf.clone(actual);
  try {
    if (nchw.shape.join(",") !== want.shape.join(",")) return Infinity;
    return maxAbsDiff(await nchw.data() as Float32Array, toFloat32(want));
  } finally {
    nchw.dispose();
  }
}

/** A backend the parity tests run on, and why it would be skipped. */
export interface ParityBackend {
  name: "cpu" | "wasm" | "onednn" | "webgpu";
  /** Why the tests on it are ignored, or null to run them. */
  skip: string | null;
}

/**
 * The backends to check: cpu and wasm always, oneDNN when libdnnl loads, webgpu when an adapter exists
 * (else ignored, with the reason).
 *
 * @returns the backends, each with its skip reason
 */
export async function parityBackends(): Promise<ParityBackend[]> {
  const gpu = (navigator as { gpu?: { requestAdapter(): Promise<unknown> } }).gpu;
  const adapter = gpu ? await gpu.requestAdapter().catch(() => null) : null;
  const oneDnn = loadOneDnn();
  return [
    { name: "cpu", skip: null },
    { name: "wasm", skip: null },
    { name: "onednn", skip: oneDnn.ok ? null : oneDnn.reason },
    { name: "webgpu", skip: adapter ? null : "no WebGPU adapter here" },
  ];
}

/**
 * Makes a backend active (through the kernel's backend selection).
 *
 * @param name backend name
 */
export async function useBackend(name: string): Promise<void> {
  await selectBackend(name);
}
