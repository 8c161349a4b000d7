/**
 * `((x − shift) − minus) · scale`, squared if asked, for NHWC tensors with one shift and scale value
 * per sample and channel (`[N, 1, 1, C]`) and one `minus` value per element: instance normalisation's
 * element-wise passes (plugins/networks/_layers/norm.ts). One kernel call where a backend registers
 * {@link CHANNEL_AFFINE} (oneDNN: one multi-threaded pass); elsewhere TensorFlow.js's `sub`, `mul` and
 * `square`, the same float32 operations in the same order.
 *
 * @module
 */
import { tf } from "./tf.ts";

/**
 * Our kernel: inputs `x` and any of `shift`, `minus`, `scale`; attribute `square`. Not differentiable:
 * callers use it inside a custom gradient.
 */
export const CHANNEL_AFFINE = "ChannelAffine";

/** The terms of {@link channelAffine}; each one may be left out. */
export interface ChannelAffineTerms {
  /** Subtracted first, one value per sample and channel (`[N, 1, 1, C]`). */
  shift?: tf.Tensor;
  /** Subtracted next, one value per element (x's shape). */
  minus?: tf.Tensor;
  /** Multiplied by, one value per sample and channel (`[N, 1, 1, C]`). */
  scale?: tf.Tensor;
  /** Square the result. */
  square?: boolean;
}

/**
 * `((x − shift) − minus) · scale`, then squared when `square`: the terms left out are skipped.
 *
 * @param x an NHWC tensor
 * @param terms the shift, minus and scale tensors, and whether to square
 * @returns a new tensor of x's shape
 */
export function channelAffine(x: tf.Tensor4D, terms: ChannelAffineTerms): tf.Tensor4D {
  const { shift, minus, scale, square = false } = terms;
  const perChannel = [x.shape[0], 1, 1, x.shape[3]];
  const operands = [shift, minus, scale].filter((t): t is tf.Tensor => t !== undefined);
  const kernel = operands.length > 0 && [x, ...operands].every((t) => t.dtype === "float32") &&
    (!shift || tf.util.arraysEqual(shift.shape, perChannel)) &&
    (!scale || tf.util.arraysEqual(scale.shape, perChannel)) &&
    (!minus || tf.util.arraysEqual(minus.shape, x.shape)) && tf.getKernel(CHANNEL_AFFINE, tf.getBackend());
  if (kernel) {
    const inputs: tf.NamedTensorMap = { x };
    if (shift) inputs.shift = shift;
    if (minus) inputs.minus = minus;
    if (scale) inputs.scale = scale;
    return tf.engine().runKernel(CHANNEL_AFFINE, inputs, { square }) as tf.Tensor4D;
  }
  return tf.tidy(() => {
    let y: tf.Tensor = x;
    if (shift) y = tf.sub(y, shift);
    if (minus) y = tf.sub(y, minus);
    if (scale) y = tf.mul(y, scale);
    if (square) y = tf.square(y);
    return y === x ? tf.clone(x) : y;
  }) as tf.Tensor4D;
}
