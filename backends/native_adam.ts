/**
 * Adam's update off TensorFlow.js's ops, where a native backend offers one: oneDNN's
 * (backends/onednn/adam.ts) or onnxruntime's (backends/ort/adam.ts). Both keep the moments outside
 * the wasm heap and update a parameter chunk by chunk in a few fused passes; plugins/optim/adam.ts
 * falls back to TensorFlow.js's ops where neither serves the current backend.
 *
 * @module
 */
import type { tf } from "./tf.ts";

/**
 * Elements a parameter is updated in at a time: all three passes run over one chunk before the next,
 * so what the later passes re-read (the gradient, the new moments: 2 MiB each) is still in the cache
 * (32 MiB of L3 on the machines we measure on) instead of coming from memory again. Adam for the 51 M
 * parameters of training at ngf 32 (G's 18 residual filters are 9.4 MB an array), timed alone in
 * alternating runs on a noisy 2-core machine: 45–50 ms a step in whole-parameter passes, 28–47 ms
 * (median about 34) in these chunks.
 */
export const ADAM_CHUNK = 2 ** 19;

/** Adam's constant hyper-parameters. */
export interface AdamConstants {
  beta1: number;
  beta2: number;
  eps: number;
}

/** Adam's moments of named parameters and their update, outside TensorFlow.js. */
export interface NativeAdam {
  /**
   * The moments of a parameter, live (writing into them changes the optimizer's state).
   *
   * @param name parameter name
   * @returns first and second moments
   * @throws {RangeError} for an unknown name
   */
  moments(name: string): { m: Float32Array; v: Float32Array };
  /**
   * One Adam step of one parameter: updates its moments and assigns the new value to it.
   *
   * @param name parameter name
   * @param param the parameter (float32, on the wasm backend)
   * @param grad its gradient (same shape)
   * @param stepSize lr / (1-β1^t)
   * @param bc2 1-β2^t
   */
  step(name: string, param: tf.Variable, grad: tf.Tensor, stepSize: number, bc2: number): void;
  /** Frees what the update holds natively (the moments are garbage-collected). */
  dispose(): void;
}
