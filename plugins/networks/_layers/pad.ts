/**
 * Spatial padding of NHWC batches, as PyTorch's `ReflectionPad2d`, `ReplicationPad2d` and zero
 * padding. Reflection is tfjs's `mirrorPad`, whose gradient backends/gradients.ts registers anew (tfjs's
 * own only slices out the centre, dropping what flows into the reflected borders).
 *
 * @module
 */
import { tf } from "../../../backends/tf.ts";
import type { LayerSpec } from "./layer.ts";

/** The official padding types. */
export const PADDING_TYPES = ["reflect", "replicate", "zero"] as const;
/** A padding type. */
export type PaddingType = typeof PADDING_TYPES[number];

/**
 * `nn.ReflectionPad2d(p)` on an NHWC batch.
 *
 * @param x input, each spatial side longer than `p`
 * @param p pixels added on every side
 * @returns the padded batch
 * @throws {RangeError} when a side is not longer than `p` (PyTorch refuses it too)
 */
export function reflectPad(x: tf.Tensor4D, p: number): tf.Tensor4D {
  const [, h, w] = x.shape;
  if (h <= p || w <= p) {
    throw new RangeError(`reflection padding of ${p} needs an input larger than ${p}×${p}, got ${w}×${h}`);
  }
  return tf.mirrorPad(x, [[0, 0], [p, p], [p, p], [0, 0]], "reflect");
}

function replicateAxis(x: tf.Tensor4D, axis: 1 | 2, p: number): tf.Tensor4D {
  const size = x.shape[axis];
  const edge = (at: number) =>
    tf.slice(x, axis === 1 ? [0, at, 0, 0] : [0, 0, at, 0], axis === 1 ? [-1, 1, -1, -1] : [-1, -1, 1, -1]);
  const reps = axis === 1 ? [1, p, 1, 1] : [1, 1, p, 1];
  return tf.concat([tf.tile(edge(0), reps), x, tf.tile(edge(size - 1), reps)], axis);
}

/**
 * `nn.ReplicationPad2d(p)` on an NHWC batch (built from differentiable slices and tiles).
 *
 * @param x input
 * @param p pixels added on every side
 * @returns the padded batch
 */
export function replicatePad(x: tf.Tensor4D, p: number): tf.Tensor4D {
  return tf.tidy(() => replicateAxis(replicateAxis(x, 1, p), 2, p));
}

/**
 * Zero padding of `p` pixels on every side of an NHWC batch.
 *
 * @param x input
 * @param p pixels added on every side
 * @returns the padded batch
 */
export function zeroPad(x: tf.Tensor4D, p: number): tf.Tensor4D {
  return tf.pad(x, [[0, 0], [p, p], [p, p], [0, 0]]);
}

/**
 * A padding layer: `nn.ReflectionPad2d(p)` or `nn.ReplicationPad2d(p)` (zero padding is the
 * convolution's own `padding` in the official code, not a layer).
 *
 * @param type "reflect" or "replicate"
 * @param p pixels added on every side
 * @returns the layer spec
 */
export function pad(type: Exclude<PaddingType, "zero">, p: number): LayerSpec {
  const fn = type === "reflect" ? reflectPad : replicatePad;
  return () => ({ apply: (x) => fn(x, p) });
}
