/**
 * The official input-pyramid downsampling: `nn.AvgPool2d(3, stride=2, padding=1,
 * count_include_pad=False)`. Computed as the average pool of the zero-padded input divided by the
 * average pool of zero-padded ones, so border windows divide by their count of real pixels on every
 * backend (XNNPACK's pool counts padding; tfjs's cpu pool does not).
 *
 * @module
 */
import { tf } from "../../../backends/tf.ts";

/**
 * AvgPool 3×3, stride 2, padding 1, not counting the padding. Output side floor((n - 1) / 2) + 1.
 *
 * @param x NHWC batch
 * @returns the downsampled batch
 */
export function downsample(x: tf.Tensor4D): tf.Tensor4D {
  return tf.tidy(() => {
    const [, h, w] = x.shape;
    const paddings: Array<[number, number]> = [[0, 0], [1, 1], [1, 1], [0, 0]];
    const sums = tf.avgPool(tf.pad(x, paddings), 3, 2, "valid");
    const counts = tf.avgPool(tf.pad(tf.ones([1, h, w, 1]), paddings) as tf.Tensor4D, 3, 2, "valid");
    return tf.div(sums, counts);
  });
}
